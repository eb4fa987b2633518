package policy

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// jkind is the type of a JSON value.
type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

// jvalue is a parsed JSON value that keeps the order of object members, so that
// validation reports the first offending element as AWS does, and so that
// duplicate member names can be refused instead of silently keeping the last one
// (a document with two Effect members must not mean whichever a parser prefers).
type jvalue struct {
	kind jkind
	// s is the text of a string, the literal of a number, or "true"/"false".
	s    string
	arr  []*jvalue
	keys []string
	vals []*jvalue
}

// get returns the member of an object named key.
func (v *jvalue) get(key string) (*jvalue, bool) {
	for i, k := range v.keys {
		if k == key {
			return v.vals[i], true
		}
	}
	return nil, false
}

// has reports whether an object has a member named key.
func (v *jvalue) has(key string) bool {
	_, ok := v.get(key)
	return ok
}

var errDuplicateKey = errors.New("duplicate object key")

// parseJSON parses one JSON value that must make up all of text.
func parseJSON(text string) (*jvalue, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (*jvalue, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			return decodeObject(dec)
		case '[':
			return decodeArray(dec)
		}
		return nil, errors.New("unexpected delimiter")
	case string:
		return &jvalue{kind: jString, s: t}, nil
	case json.Number:
		return &jvalue{kind: jNumber, s: t.String()}, nil
	case bool:
		if t {
			return &jvalue{kind: jBool, s: "true"}, nil
		}
		return &jvalue{kind: jBool, s: "false"}, nil
	case nil:
		return &jvalue{kind: jNull}, nil
	}
	return nil, errors.New("unexpected token")
}

func decodeObject(dec *json.Decoder) (*jvalue, error) {
	v := &jvalue{kind: jObject}
	var seen map[string]bool // only for large objects; small ones are scanned
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("object key is not a string")
		}
		if seen != nil {
			if seen[key] {
				return nil, errDuplicateKey
			}
			seen[key] = true
		} else if v.has(key) {
			return nil, errDuplicateKey
		} else if len(v.keys) == 16 {
			seen = make(map[string]bool, 32)
			for _, k := range v.keys {
				seen[k] = true
			}
			seen[key] = true
		}
		val, err := decodeValue(dec)
		if err != nil {
			return nil, err
		}
		v.keys = append(v.keys, key)
		v.vals = append(v.vals, val)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	return v, nil
}

func decodeArray(dec *json.Decoder) (*jvalue, error) {
	v := &jvalue{kind: jArray}
	for dec.More() {
		val, err := decodeValue(dec)
		if err != nil {
			return nil, err
		}
		v.arr = append(v.arr, val)
	}
	if _, err := dec.Token(); err != nil { // the closing bracket
		return nil, err
	}
	return v, nil
}
