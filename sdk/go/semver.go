package canary

import (
	"strconv"
	"strings"
)

// Strict SemVer 2.0.0 (SPEC.md §2.2): an optional leading "v", surrounding whitespace trimmed,
// MAJOR.MINOR.PATCH[-prerelease][+build] without leading zeros. Build metadata is ignored in
// comparisons and a prerelease sorts before its release (SemVer §11).

const maxSafeInteger = 1<<53 - 1

type semver struct {
	major, minor, patch uint64
	pre                 []string
}

func numericPart(s string) (uint64, bool) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && n <= maxSafeInteger
}

func isIdentifier(s string, numericNoLeadingZero bool) bool {
	if s == "" {
		return false
	}
	allDigits := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
			allDigits = false
		default:
			return false
		}
	}
	return !(numericNoLeadingZero && allDigits && len(s) > 1 && s[0] == '0')
}

func parseSemver(text string) (semver, bool) {
	s := strings.TrimSpace(text)
	if len(s) > 256 {
		return semver{}, false
	}
	s = strings.TrimPrefix(s, "v")
	if i := strings.IndexByte(s, '+'); i >= 0 {
		for _, id := range strings.Split(s[i+1:], ".") {
			if !isIdentifier(id, false) {
				return semver{}, false
			}
		}
		s = s[:i]
	}
	var pre []string
	if i := strings.IndexByte(s, '-'); i >= 0 {
		pre = strings.Split(s[i+1:], ".")
		for _, id := range pre {
			if !isIdentifier(id, true) {
				return semver{}, false
			}
		}
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return semver{}, false
	}
	var v semver
	var ok bool
	if v.major, ok = numericPart(parts[0]); !ok {
		return semver{}, false
	}
	if v.minor, ok = numericPart(parts[1]); !ok {
		return semver{}, false
	}
	if v.patch, ok = numericPart(parts[2]); !ok {
		return semver{}, false
	}
	v.pre = pre
	return v, true
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func isNumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (a semver) compare(b semver) int {
	if c := cmpUint(a.major, b.major); c != 0 {
		return c
	}
	if c := cmpUint(a.minor, b.minor); c != 0 {
		return c
	}
	if c := cmpUint(a.patch, b.patch); c != 0 {
		return c
	}
	switch {
	case len(a.pre) == 0 && len(b.pre) == 0:
		return 0
	case len(a.pre) == 0:
		return 1
	case len(b.pre) == 0:
		return -1
	}
	for i := 0; i < len(a.pre) && i < len(b.pre); i++ {
		x, y := a.pre[i], b.pre[i]
		xn, yn := isNumeric(x), isNumeric(y)
		switch {
		case xn && yn:
			xv, _ := strconv.ParseUint(x, 10, 64)
			yv, _ := strconv.ParseUint(y, 10, 64)
			if c := cmpUint(xv, yv); c != 0 {
				return c
			}
		case xn:
			return -1
		case yn:
			return 1
		default:
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
		}
	}
	return cmpUint(uint64(len(a.pre)), uint64(len(b.pre)))
}
