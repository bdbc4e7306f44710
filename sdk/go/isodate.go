package canary

import "regexp"

// The strict ISO-8601 grammar of the before/after operators (SPEC.md §2.2):
//
//	YYYY-MM-DD                                   midnight UTC
//	YYYY-MM-DD(T|t)HH:MM[:SS[.fraction]][offset] offset Z, ±HH:MM or ±HHMM; none means UTC
var isoDate = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})?)?$`)

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func isLeapYear(y int) bool { return (y%4 == 0 && y%100 != 0) || y%400 == 0 }

func daysInMonth(y, m int) int {
	switch m {
	case 2:
		if isLeapYear(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// daysFromCivil counts days from 1970-01-01 to a proleptic Gregorian date (Hinnant's algorithm).
func daysFromCivil(year, month, day int) int {
	y := year
	if month <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := month + 9
	if month > 2 {
		mp = month - 3
	}
	doy := (153*mp+2)/5 + day - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// parseISODate parses the strict grammar into epoch milliseconds.
func parseISODate(text string) (float64, bool) {
	m := isoDate.FindStringSubmatch(text)
	if m == nil {
		return 0, false
	}
	year, month, day := atoi(m[1]), atoi(m[2]), atoi(m[3])
	hour, minute, second, millis := atoi(m[4]), atoi(m[5]), atoi(m[6]), 0
	if m[7] != "" {
		frac := m[7] + "00"
		millis = atoi(frac[:3])
	}
	if month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) {
		return 0, false
	}
	if hour > 23 || minute > 59 || second > 59 {
		return 0, false
	}
	offsetMinutes := 0
	if offset := m[8]; offset != "" && offset != "Z" && offset != "z" {
		oh := atoi(offset[1:3])
		om := atoi(offset[len(offset)-2:])
		if oh > 23 || om > 59 {
			return 0, false
		}
		offsetMinutes = oh*60 + om
		if offset[0] == '-' {
			offsetMinutes = -offsetMinutes
		}
	}
	ms := daysFromCivil(year, month, day)*86_400_000 + ((hour*60+minute-offsetMinutes)*60+second)*1000 + millis
	return float64(ms), true
}
