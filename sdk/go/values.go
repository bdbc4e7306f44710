package canary

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Coercions of attribute values (per evaluation) and condition values (once, at compile time):
// what counts as missing, as text, as a number, a date or a version (SPEC.md §2.2). Every
// operator reads values through these, so they decide what is incomparable.

// maxTextLength is the most UTF-16 code units the string operators and `matches` look at.
const maxTextLength = 256

// jsNumber formats a finite float64 as JavaScript's Number.prototype.toString does, so that
// `in` lists and bucketing see the same text for a number in every SDK (42 → "42", 1e21 → "1e+21").
func jsNumber(f float64) string {
	if f == 0 {
		return "0"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // e.g. -1.2345e+21
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	mantissa, expText, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expText)
	digits := strings.Replace(mantissa, ".", "", 1)
	k := len(digits)
	n := exp + 1 // the decimal point sits after n digits
	switch {
	case k <= n && n <= 21:
		return sign + digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		return sign + digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		return sign + "0." + strings.Repeat("0", -n) + digits
	}
	e := n - 1
	expSign := "+"
	if e < 0 {
		expSign, e = "-", -e
	}
	if k == 1 {
		return sign + digits + "e" + expSign + strconv.Itoa(e)
	}
	return sign + digits[:1] + "." + digits[1:] + "e" + expSign + strconv.Itoa(e)
}

// toText: strings as-is, finite numbers as JavaScript prints them, booleans as "true"/"false";
// anything else has no text.
func toText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	case nil:
		return "", false
	}
	switch x := v.(type) {
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case uint:
		return strconv.FormatUint(uint64(x), 10), true
	case uint32:
		return strconv.FormatUint(uint64(x), 10), true
	}
	if f, ok := toFloat(v); ok {
		return jsNumber(f), true
	}
	return "", false
}

// toFloat converts Go's numeric types (and json.Number) to a finite float64.
func toFloat(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int:
		f = float64(x)
	case int8:
		f = float64(x)
	case int16:
		f = float64(x)
	case int32:
		f = float64(x)
	case int64:
		f = float64(x)
	case uint:
		f = float64(x)
	case uint8:
		f = float64(x)
	case uint16:
		f = float64(x)
	case uint32:
		f = float64(x)
	case uint64:
		f = float64(x)
	case json.Number:
		return parseDecimal(string(x))
	default:
		return 0, false
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// utf16Length is the length JavaScript reports for s.
func utf16Length(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// toBoundedText is toText, but a value longer than maxTextLength UTF-16 units is incomparable.
func toBoundedText(v any) (string, bool) {
	s, ok := toText(v)
	if !ok {
		return "", false
	}
	// A UTF-16 length is at most the UTF-8 length: short strings need no count.
	if len(s) > maxTextLength && utf16Length(s) > maxTextLength {
		return "", false
	}
	return s, true
}

var decimal = regexp.MustCompile(`^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$`)

func parseDecimal(s string) (float64, bool) {
	if !decimal.MatchString(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// toNumber: finite numbers, or strings in plain decimal notation.
func toNumber(v any) (float64, bool) {
	if s, ok := v.(string); ok {
		return parseDecimal(s)
	}
	return toFloat(v)
}

// toEpochMillis: epoch milliseconds (a finite number), a strict ISO-8601 string or a time.Time.
func toEpochMillis(v any) (float64, bool) {
	switch x := v.(type) {
	case string:
		return parseISODate(x)
	case time.Time:
		return float64(x.UnixMilli()), true
	case *time.Time:
		if x == nil {
			return 0, false
		}
		return float64(x.UnixMilli()), true
	}
	return toFloat(v)
}

// lowerJS lowercases like JavaScript's toLowerCase for the common cases; valid UTF-8 in, out.
func lowerJS(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.ToLower(s)
}
