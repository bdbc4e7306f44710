module example.com/gatefixture

go 1.22
