package manifest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// invalid builds the error Parse returns for bad input.
func invalid(format string, args ...any) *InvalidError {
	return &InvalidError{Reason: fmt.Sprintf(format, args...)}
}

// checkJSON enforces what encoding/json silently forgives, because two
// parsers that disagree about a manifest are a way to smuggle content past
// validation: the payload must be UTF-8, exactly one JSON object with
// nothing after it, and no object in it may repeat a key.
func checkJSON(b []byte) *InvalidError {
	if len(bytes.TrimSpace(b)) == 0 {
		return invalid("payload is empty; expected a JSON object")
	}
	if !utf8.Valid(b) {
		return invalid("payload is not valid UTF-8")
	}
	type frame struct {
		path    string
		keys    map[string]struct{} // nil for arrays
		wantKey bool
		key     string // last key read (objects)
		index   int    // next element index (arrays)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // numbers are only checked here, never converted
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return &InvalidError{Reason: "payload is not valid JSON: " + err.Error(), Err: err}
		}
		if len(stack) == 0 {
			if tok != json.Delim('{') {
				return invalid("payload must be a JSON object, got %s", jsonKind(tok))
			}
			stack = append(stack, &frame{keys: map[string]struct{}{}, wantKey: true})
			continue
		}
		top := stack[len(stack)-1]
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				break
			}
			continue
		}
		if top.keys != nil && top.wantKey {
			key, _ := tok.(string) // the decoder only yields strings here
			if _, dup := top.keys[key]; dup {
				return invalid("duplicate key %q in %s", key, objectName(top.path))
			}
			top.keys[key] = struct{}{}
			top.key, top.wantKey = key, false
			continue
		}
		var childPath string
		if top.keys != nil {
			top.wantKey = true
			childPath = joinPath(top.path, top.key)
		} else {
			childPath = fmt.Sprintf("%s[%d]", top.path, top.index)
			top.index++
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{path: childPath, keys: map[string]struct{}{}, wantKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{path: childPath})
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid("unexpected data after the JSON object")
	}
	return nil
}

func jsonKind(tok json.Token) string {
	switch tok.(type) {
	case json.Delim:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	default:
		return "null"
	}
}

func objectName(path string) string {
	if path == "" {
		return "the manifest"
	}
	return path
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// object is one decoded JSON object whose members are read by exact name.
// encoding/json matches struct fields case-insensitively, so a manifest
// with both "mediaType" and "MediaType" would mean different things to
// different clients; reading members from a map avoids that, and
// decodeObject refuses such look-alike keys outright.
type object struct {
	path    string
	members map[string]json.RawMessage
}

// decodeObject decodes raw (already checked by checkJSON) as an object whose
// expected member names are known; path names it in error messages.
func decodeObject(path string, raw json.RawMessage, known ...string) (object, *InvalidError) {
	if len(raw) == 0 || raw[0] != '{' {
		return object{}, invalid("%s must be a JSON object", objectName(path))
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return object{}, &InvalidError{Reason: fmt.Sprintf("%s is not a valid JSON object: %v", objectName(path), err), Err: err}
	}
	folded := make(map[string]string, len(known))
	for _, k := range known {
		folded[foldKey(k)] = k
	}
	for k := range members {
		if want, ok := folded[foldKey(k)]; ok && want != k {
			return object{}, invalid("%s: field %q must be spelled %q", objectName(path), k, want)
		}
	}
	return object{path: path, members: members}, nil
}

// foldKey maps s to a form under which keys that bytes.EqualFold (and so
// encoding/json) considers equal are identical.
func foldKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		low := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			low = min(low, f)
		}
		b.WriteRune(low)
	}
	return b.String()
}

func (o object) name(member string) string { return joinPath(o.path, member) }

// raw returns a member's value, treating an explicit null as absent.
func (o object) raw(member string) (json.RawMessage, bool) {
	v, ok := o.members[member]
	if !ok || string(v) == "null" {
		return nil, false
	}
	return v, true
}

func (o object) has(member string) bool {
	_, ok := o.raw(member)
	return ok
}

func (o object) str(member string) (string, bool, *InvalidError) {
	v, ok := o.raw(member)
	if !ok {
		return "", false, nil
	}
	var s string
	if v[0] != '"' || json.Unmarshal(v, &s) != nil {
		return "", false, invalid("%s must be a string, got %s", o.name(member), preview(v))
	}
	return s, true, nil
}

func (o object) int64(member string) (int64, bool, *InvalidError) {
	v, ok := o.raw(member)
	if !ok {
		return 0, false, nil
	}
	// ParseInt refuses fractions, exponents and overflow, all of which
	// encoding/json would round or reject with a less helpful message.
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, false, invalid("%s must be an integer, got %s", o.name(member), preview(v))
	}
	return n, true, nil
}

func (o object) array(member string) ([]json.RawMessage, bool, *InvalidError) {
	v, ok := o.raw(member)
	if !ok {
		return nil, false, nil
	}
	var a []json.RawMessage
	if v[0] != '[' || json.Unmarshal(v, &a) != nil {
		return nil, false, invalid("%s must be an array, got %s", o.name(member), preview(v))
	}
	return a, true, nil
}

func (o object) strings(member string) ([]string, *InvalidError) {
	v, ok := o.raw(member)
	if !ok {
		return nil, nil
	}
	var a []string
	if v[0] != '[' || json.Unmarshal(v, &a) != nil {
		return nil, invalid("%s must be an array of strings, got %s", o.name(member), preview(v))
	}
	return a, nil
}

func (o object) stringMap(member string) (map[string]string, *InvalidError) {
	v, ok := o.raw(member)
	if !ok {
		return nil, nil
	}
	var m map[string]string
	if v[0] != '{' || json.Unmarshal(v, &m) != nil {
		return nil, invalid("%s must be an object whose values are strings", o.name(member))
	}
	return m, nil
}

func (o object) base64(member string) ([]byte, bool, *InvalidError) {
	s, ok, err := o.str(member)
	if err != nil || !ok {
		return nil, false, err
	}
	b, derr := base64.StdEncoding.DecodeString(s)
	if derr != nil {
		return nil, false, &InvalidError{Reason: fmt.Sprintf("%s must be standard base64: %v", o.name(member), derr), Err: derr}
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
