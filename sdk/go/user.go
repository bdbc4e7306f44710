package canary

import (
	"slices"
	"strings"
)

// User is who a flag is evaluated for: Key is the `userId` attribute (bucketing's default
// stickiness), the attributes the rest (`region`, `email`, `appVersion`, …), set with With or
// taken from a map with UserFromMap:
//
//	canary.NewUser(userID).With("region", "eu-west").With("plan", "pro")
//
// Attribute values may be strings, booleans, any Go number type, json.Number or time.Time; nil
// means missing. A User is a value: With returns a new one and never changes the one it was
// called on (or any other copy), so a base user can be extended per request and shared between
// goroutines.
//
// The attributes are a short slice of name/value pairs, not a map: a rule compares the hash of
// its attribute's name, computed when the rule was compiled, with each pair's, computed by With,
// in place and without a call, where a map lookup is a call into the runtime per evaluation.
// Users carry a handful of attributes; for one with hundreds, each lookup walks them all.
type User struct {
	Key   string
	attrs []userAttribute
}

// userAttribute is one pair. hash is quickHash(name), compared before the name (see
// attributeName). A string value is also kept unboxed in text (isText), so the `in` conditions
// that most rules hold compare it without a type switch or a pointer to follow; value keeps the
// boxed form for the other operators (boxing again per evaluation would allocate).
type userAttribute struct {
	hash   uint64
	name   string
	text   string
	value  any
	isText bool
}

func attributeOf(name string, value any) userAttribute {
	text, isText := value.(string)
	return userAttribute{hash: quickHash(name), name: name, text: text, value: value, isText: isText}
}

// attributeName is an attribute's name as a rule holds it, compiled once: quickHash of the
// name, compared with each pair's hash before any text, and whether the name is userId (read
// from User.Key). quickHash is one-to-one on names of the same length under 8 bytes (its
// multiply is invertible), so for those (region, plan, email, …) equal hashes and lengths are
// equal names and no text is compared at all.
type attributeName struct {
	text  string
	hash  uint64
	keyed bool
}

func nameOf(text string) attributeName {
	return attributeName{text: text, hash: quickHash(text), keyed: text == defaultStickiness}
}

// names reports whether the pair a is this attribute.
func (n *attributeName) names(a *userAttribute) bool {
	return a.hash == n.hash && len(a.name) == len(n.text) && (len(n.text) < 8 || a.name == n.text)
}

// NewUser returns a user with the given key (its `userId`) and no other attributes.
func NewUser(key string) User {
	return User{Key: key}
}

// With returns a copy of u with the attribute set (replacing one of the same name). It copies
// the pairs each time, so users built from one base never share what they add; building a user
// of n attributes this way allocates n times (UserFromMap allocates once).
func (u User) With(name string, value any) User {
	attrs := make([]userAttribute, len(u.attrs), len(u.attrs)+1)
	copy(attrs, u.attrs)
	if i := u.find(name); i >= 0 {
		attrs[i] = attributeOf(name, value)
	} else {
		attrs = append(attrs, attributeOf(name, value))
	}
	u.attrs = attrs
	return u
}

// UserFromMap returns a user with the given key and the map's attributes (in one allocation;
// the map is not kept). A `userId` entry answers rules on userId only when key is "".
func UserFromMap(key string, attributes map[string]any) User {
	u := User{Key: key}
	if len(attributes) == 0 {
		return u
	}
	u.attrs = make([]userAttribute, 0, len(attributes))
	for name, value := range attributes {
		u.attrs = append(u.attrs, attributeOf(name, value))
	}
	// Map order is random: sorted, equal maps give users that print and compare alike.
	slices.SortFunc(u.attrs, func(a, b userAttribute) int { return strings.Compare(a.name, b.name) })
	return u
}

// Attribute returns an attribute's value as rules read it: `userId` is the Key when it is set;
// ok is false when the user has no such attribute (or it is nil: missing, to rules).
func (u User) Attribute(name string) (value any, ok bool) {
	if name == defaultStickiness && u.Key != "" {
		return u.Key, true
	}
	if i := u.find(name); i >= 0 {
		value = u.attrs[i].value
	}
	return value, value != nil
}

// Attributes returns a new map of the attributes (not the Key): for logging and tests.
func (u User) Attributes() map[string]any {
	out := make(map[string]any, len(u.attrs))
	for _, a := range u.attrs {
		out[a.name] = a.value
	}
	return out
}

// find returns the index of the named pair, or -1 (for reads by a name not compiled into a rule).
func (u *User) find(name string) int {
	n := nameOf(name)
	for i := range u.attrs {
		if n.names(&u.attrs[i]) {
			return i
		}
	}
	return -1
}

// The readers below take the user by pointer: inlined with a by-value receiver, each would
// first copy the whole User (see cohort.holds).

// attribute reads an attribute for a rule; nil means missing. `userId` is the Key when set.
func (u *User) attribute(name string) any {
	if name == defaultStickiness && u.Key != "" {
		return u.Key
	}
	if i := u.find(name); i >= 0 {
		return u.attrs[i].value
	}
	return nil
}

// stringAttribute is u.attribute(n.text).(string) without boxing the Key in an interface, a
// type switch, or comparing names as text.
func (u *User) stringAttribute(n *attributeName) (string, bool) {
	if n.keyed && u.Key != "" {
		return u.Key, true
	}
	attrs := u.attrs // a local: the loop's index needs no bounds check
	for i := range attrs {
		if a := &attrs[i]; n.names(a) {
			return a.text, a.isText
		}
	}
	return "", false
}

// attributeNamed is u.attribute(n.text), comparing hashes first.
func (u *User) attributeNamed(n *attributeName) any {
	if n.keyed && u.Key != "" {
		return u.Key
	}
	attrs := u.attrs
	for i := range attrs {
		if a := &attrs[i]; n.names(a) {
			return a.value
		}
	}
	return nil
}
