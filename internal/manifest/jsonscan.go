package manifest

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
)

// The functions here walk JSON that json.Valid has already accepted. They
// exist because the two things the package needs beyond encoding/json -
// refusing duplicate keys and reading members by exact name - are both
// about an object's members, and finding member boundaries in valid JSON is
// far cheaper than decoding: a 4 MiB manifest of thousands of layers must
// not cost the registry half a second of CPU. They never index out of
// range, even on invalid input, but only promise meaningful results on
// valid JSON.

// checkJSON enforces what encoding/json silently forgives, because two
// parsers that disagree about a manifest are a way to smuggle content past
// validation: the payload must be UTF-8, exactly one JSON object with
// nothing after it, and no object in it may repeat a key.
func checkJSON(b []byte) *InvalidError {
	start := skipSpace(b, 0)
	if start == len(b) {
		return invalid("payload is empty; expected a JSON object")
	}
	if !utf8.Valid(b) {
		return invalid("payload is not valid UTF-8")
	}
	if !json.Valid(b) {
		return diagnose(b)
	}
	if b[start] != '{' {
		return invalid("payload must be a JSON object, got %s", jsonKind(b[start]))
	}
	return checkDuplicates(b[start:], "")
}

// diagnose explains why json.Valid refused b.
func diagnose(b []byte) *InvalidError {
	dec := json.NewDecoder(bytes.NewReader(b))
	var first json.RawMessage
	if err := dec.Decode(&first); err != nil {
		return &InvalidError{Reason: "payload is not valid JSON: " + err.Error(), Err: err}
	}
	if first[0] != '{' {
		return invalid("payload must be a JSON object, got %s", jsonKind(first[0]))
	}
	return invalid("unexpected data after the JSON object")
}

func jsonKind(c byte) string {
	switch c {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	default:
		return "a number"
	}
}

// checkDuplicates refuses an object, anywhere in v, that repeats a key.
func checkDuplicates(v []byte, path string) *InvalidError {
	_, err := dupScan(v, skipSpace(v, 0), path)
	return err
}

// dupScan walks the value at v[i] in a single pass (so that nesting cannot
// make the walk quadratic) and returns the index just past it. Recursion
// depth is bounded by json.Valid's nesting limit (10000).
func dupScan(v []byte, i int, path string) (int, *InvalidError) {
	if i >= len(v) {
		return len(v), nil
	}
	switch v[i] {
	case '{':
		var (
			few  []string // linear search beats a map for small objects
			many map[string]struct{}
		)
		i++
		for {
			i = skipSpace(v, i)
			if i < len(v) && v[i] == ',' {
				i = skipSpace(v, i+1)
			}
			if i >= len(v) || v[i] != '"' {
				return i + 1, nil // '}' (or malformed, which json.Valid excludes)
			}
			end := scanString(v, i)
			key, _ := unquote(v[i:end])
			dup := false
			if many != nil {
				_, dup = many[key]
				many[key] = struct{}{}
			} else {
				dup = slices.Contains(few, key)
				few = append(few, key)
				if len(few) > 16 {
					many = make(map[string]struct{}, 2*len(few))
					for _, k := range few {
						many[k] = struct{}{}
					}
				}
			}
			if dup {
				return 0, invalid("duplicate key %s in %s", quote(key), objectName(path))
			}
			i = skipSpace(v, end)
			if i >= len(v) || v[i] != ':' {
				return len(v), nil
			}
			i = skipSpace(v, i+1)
			if i < len(v) && (v[i] == '{' || v[i] == '[') {
				var err *InvalidError
				if i, err = dupScan(v, i, joinPath(path, key)); err != nil {
					return 0, err
				}
			} else {
				i = scanValue(v, i)
			}
		}
	case '[':
		i++
		for n := 0; ; n++ {
			i = skipSpace(v, i)
			if i < len(v) && v[i] == ',' {
				i = skipSpace(v, i+1)
			}
			if i >= len(v) || v[i] == ']' {
				return i + 1, nil
			}
			var next int
			if v[i] == '{' || v[i] == '[' {
				var err *InvalidError
				if next, err = dupScan(v, i, path+"["+strconv.Itoa(n)+"]"); err != nil {
					return 0, err
				}
			} else {
				next = scanValue(v, i)
			}
			if next <= i {
				return len(v), nil
			}
			i = next
		}
	default:
		return scanValue(v, i), nil
	}
}

func objectName(path string) string {
	if path == "" {
		return "the manifest"
	}
	return clip(path)
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString returns the index just past the string that opens at b[i].
func scanString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// scanValue returns the index just past the value that starts at b[i].
func scanValue(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
	switch b[i] {
	case '"':
		return scanString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = scanString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(b)
	default:
		for ; i < len(b); i++ {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
		}
		return len(b)
	}
}

// eachMember calls fn with every member of the object v, in order, until
// fn returns false.
func eachMember(v []byte, fn func(key string, val []byte) bool) {
	i := skipSpace(v, 0)
	if i >= len(v) || v[i] != '{' {
		return
	}
	i++
	for {
		i = skipSpace(v, i)
		if i < len(v) && v[i] == ',' {
			i = skipSpace(v, i+1)
		}
		if i >= len(v) || v[i] != '"' {
			return // '}' or malformed
		}
		end := scanString(v, i)
		key, ok := unquote(v[i:end])
		if !ok {
			return
		}
		i = skipSpace(v, end)
		if i >= len(v) || v[i] != ':' {
			return
		}
		i = skipSpace(v, i+1)
		end = scanValue(v, i)
		if !fn(key, v[i:end]) {
			return
		}
		i = end
	}
}

// eachElement calls fn with every element of the array v, in order, until
// fn returns false.
func eachElement(v []byte, fn func(val []byte) bool) {
	i := skipSpace(v, 0)
	if i >= len(v) || v[i] != '[' {
		return
	}
	i++
	for {
		i = skipSpace(v, i)
		if i < len(v) && v[i] == ',' {
			i = skipSpace(v, i+1)
		}
		if i >= len(v) || v[i] == ']' {
			return
		}
		end := scanValue(v, i)
		if end == i || !fn(v[i:end]) {
			return
		}
		i = end
	}
}

// unquote decodes a JSON string literal, quickly when it has no escapes.
func unquote(lit []byte) (string, bool) {
	if len(lit) < 2 || lit[0] != '"' || lit[len(lit)-1] != '"' {
		return "", false
	}
	if bytes.IndexByte(lit, '\\') < 0 {
		return string(lit[1 : len(lit)-1]), true
	}
	var s string
	if err := json.Unmarshal(lit, &s); err != nil {
		return "", false
	}
	return s, true
}
