"""The Python SDK's answers for the bench's users (argv: url key count flags...), run from a venv
outside the repository where the wheel was installed."""

import sys

import canary

url, key, count, *flags = sys.argv[1:]
REGIONS = ["eu-west", "us-east", "ap-south"]
with canary.Client(url=url, server_key=key) as client:
    client.wait_until_ready(timeout=20)
    lines = []
    for i in range(int(count)):
        user = {"userId": f"u-{i:05d}", "region": REGIONS[i % 3]}
        for flag in flags:
            result = client.evaluate(flag, user)
            lines.append(f"{flag} {user['userId']} {str(result.enabled).lower()} {result.reason}")
    print(canary.__file__, file=sys.stderr)
    sys.stdout.write("\n".join(lines) + "\n")
