package manifest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// invalid builds the error Parse returns for bad input.
func invalid(format string, args ...any) *InvalidError {
	return &InvalidError{Reason: fmt.Sprintf(format, args...)}
}

// object is one JSON object whose members are read by exact name.
// encoding/json matches struct fields case-insensitively, so a manifest
// with both "mediaType" and "MediaType" would mean different things to
// different clients; reading members by exact name avoids that, and
// decodeObject refuses such look-alike keys outright.
type object struct {
	path    string
	members []member
}

type member struct {
	key string
	raw json.RawMessage
}

// decodeObject splits raw (JSON already checked by checkJSON) into members,
// refusing keys that differ only in case from an expected member name;
// path names the object in error messages.
func decodeObject(path string, raw json.RawMessage, known ...string) (object, *InvalidError) {
	if i := skipSpace(raw, 0); i >= len(raw) || raw[i] != '{' {
		return object{}, invalid("%s must be a JSON object", objectName(path))
	}
	o := object{path: path}
	var bad *InvalidError
	eachMember(raw, func(key string, val []byte) bool {
		if want, ok := lookAlike(key, known); ok {
			bad = invalid("%s: field %s must be spelled %q", objectName(path), quote(key), want)
			return false
		}
		o.members = append(o.members, member{key, val})
		return true
	})
	return o, bad
}

// lookAlike reports the expected name key imitates: equal under the case
// folding encoding/json applies (strings.EqualFold), but not identical.
func lookAlike(key string, known []string) (string, bool) {
	for _, k := range known {
		if k == key {
			return "", false
		}
	}
	for _, k := range known {
		if strings.EqualFold(k, key) {
			return k, true
		}
	}
	return "", false
}

func (o object) name(member string) string { return joinPath(o.path, member) }

// lookup returns a member's value as written, null included.
func (o object) lookup(name string) (json.RawMessage, bool) {
	for _, m := range o.members {
		if m.key == name {
			return m.raw, true
		}
	}
	return nil, false
}

// raw returns a member's value, treating an explicit null as absent.
func (o object) raw(name string) (json.RawMessage, bool) {
	v, ok := o.lookup(name)
	if !ok || len(v) == 0 || string(v) == "null" {
		return nil, false
	}
	return v, true
}

func (o object) has(name string) bool {
	_, ok := o.raw(name)
	return ok
}

func (o object) str(name string) (string, bool, *InvalidError) {
	v, ok := o.raw(name)
	if !ok {
		return "", false, nil
	}
	s, ok := unquote(v)
	if !ok {
		return "", false, invalid("%s must be a string, got %s", o.name(name), preview(v))
	}
	return s, true, nil
}

func (o object) int64(name string) (int64, bool, *InvalidError) {
	v, ok := o.raw(name)
	if !ok {
		return 0, false, nil
	}
	// ParseInt refuses fractions, exponents and overflow, all of which
	// encoding/json would round or reject with a less helpful message.
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, false, invalid("%s must be an integer, got %s", o.name(name), preview(v))
	}
	return n, true, nil
}

func (o object) array(name string) ([]json.RawMessage, bool, *InvalidError) {
	v, ok := o.raw(name)
	if !ok {
		return nil, false, nil
	}
	if v[0] != '[' {
		return nil, false, invalid("%s must be an array, got %s", o.name(name), preview(v))
	}
	var a []json.RawMessage
	eachElement(v, func(val []byte) bool {
		a = append(a, val)
		return true
	})
	return a, true, nil
}

func (o object) strings(name string) ([]string, *InvalidError) {
	v, ok := o.raw(name)
	if !ok {
		return nil, nil
	}
	var a []string
	if v[0] != '[' || json.Unmarshal(v, &a) != nil {
		return nil, invalid("%s must be an array of strings, got %s", o.name(name), preview(v))
	}
	return a, nil
}

func (o object) stringMap(name string) (map[string]string, *InvalidError) {
	v, ok := o.raw(name)
	if !ok {
		return nil, nil
	}
	var m map[string]string
	if v[0] != '{' || json.Unmarshal(v, &m) != nil {
		return nil, invalid("%s must be an object whose values are strings", o.name(name))
	}
	return m, nil
}

func (o object) base64(name string) ([]byte, bool, *InvalidError) {
	s, ok, err := o.str(name)
	if err != nil || !ok {
		return nil, false, err
	}
	b, derr := base64.StdEncoding.DecodeString(s)
	if derr != nil {
		return nil, false, &InvalidError{Reason: fmt.Sprintf("%s must be standard base64: %v", o.name(name), derr), Err: derr}
	}
	return b, true, nil
}

// preview quotes a short prefix of a JSON value for an error message.
func preview(v json.RawMessage) string {
	const limit = 40
	s := string(v)
	if len(s) > limit {
		s = strings.ToValidUTF8(s[:limit], "") + "…"
	}
	return s
}
