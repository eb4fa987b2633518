package awsproto

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/berth-registry/berth/internal/errcode"
)

// errNotPointer is a programming error: Decode needs somewhere to put the result.
var errNotPointer = errors.New("awsproto: Decode needs a non-nil pointer")

// Decode unmarshals a JSON 1.1 request body into v, a pointer to a struct with json tags.
//
// It reads the body as AWS's JSON front end does, which encoding/json alone does not:
//   - An empty body is {}.
//   - Member names match exactly; "RepositoryName" is not "repositoryName". Members v does
//     not have are ignored, as AWS ignores them. Of a repeated member the last wins.
//   - A fractional number for an integer member is truncated toward zero, as AWS does.
//   - A value of the wrong JSON type is a Serialization error with AWS's message
//     ("STRING_VALUE can not be converted to an Integer", "Start of structure or map found
//     where not expected.", "Start of list found where not expected", "Expected list or
//     null", "Expected null"), followed by the member it was found in, e.g.
//     "(member 'imageIds[0].imageTag')". AWS names no member; berth does, so that the
//     message says what to fix.
//   - Malformed JSON, or anything but one object, is a Serialization error too.
//
// null is the same as an absent member.
func Decode(body []byte, v any) error {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errNotPointer
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil
	}
	switch body[0] {
	case '{':
	case '[':
		return errcode.New(errcode.Serialization, "Start of list found where not expected")
	default:
		return errcode.New(errcode.Serialization, "The request body must be a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return syntaxError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errcode.New(errcode.Serialization, "The request body must be one JSON object, with nothing after it.")
	}
	c := conformer{fields: map[reflect.Type]structFields{}}
	tree, changed, err := c.conform(tree, rv.Type().Elem(), "")
	if err != nil {
		return err
	}
	if changed {
		// Re-encode only when the tree now differs from the body (a truncated number, a
		// member that differed only in case); otherwise decode the bytes as they came.
		if body, err = json.Marshal(tree); err != nil {
			return fmt.Errorf("awsproto: re-encode request body: %w", err)
		}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return unmarshalError(err)
	}
	return nil
}

func syntaxError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &errcode.Error{Code: errcode.Serialization,
			Message: fmt.Sprintf("The request body is not valid JSON: %v (at byte %d).", se, se.Offset), Err: err}
	}
	return &errcode.Error{Code: errcode.Serialization, Message: fmt.Sprintf("The request body is not valid JSON: %v.", err), Err: err}
}

// unmarshalError maps what encoding/json can still reject after conform: a blob that is
// not base64, a number out of range for a custom type, an UnmarshalJSON of another package.
func unmarshalError(err error) error {
	var te *json.UnmarshalTypeError
	var b64 base64.CorruptInputError
	switch {
	case errors.As(err, &te):
		return &errcode.Error{Code: errcode.Serialization,
			Message: withMember(fmt.Sprintf("A JSON %s can not be converted to %s", te.Value, te.Type), te.Field), Err: err}
	case errors.As(err, &b64):
		return &errcode.Error{Code: errcode.Serialization,
			Message: fmt.Sprintf("A blob member is not valid base64: %v.", err), Err: err}
	}
	return &errcode.Error{Code: errcode.Serialization, Message: err.Error(), Err: err}
}

func withMember(msg, path string) string {
	if path == "" {
		return msg
	}
	return fmt.Sprintf("%s (member '%s')", msg, path)
}

func serializationAt(path, msg string) error {
	return errcode.New(errcode.Serialization, "%s", withMember(msg, path))
}

const (
	msgListNotExpected = "Start of list found where not expected"
	msgMapNotExpected  = "Start of structure or map found where not expected."
)

// scalarMismatch is AWS's message for a JSON value that cannot become a scalar member of
// the named Java-ish type ("an Integer", "a String").
func scalarMismatch(node any, target string) string {
	switch n := node.(type) {
	case []any:
		return msgListNotExpected
	case map[string]any:
		return msgMapNotExpected
	case string:
		return "STRING_VALUE can not be converted to " + target
	case json.Number:
		return "NUMBER_VALUE can not be converted to " + target
	case bool:
		if n {
			return "TRUE_VALUE can not be converted to " + target
		}
		return "FALSE_VALUE can not be converted to " + target
	}
	return "Unexpected value for " + target
}

// structFields are a struct's JSON member names, as encoding/json finds them.
type structFields struct {
	byName map[string]field
	// folded holds the lower-cased names: a member that matches one only without regard
	// to case would be taken by encoding/json, and must be removed first.
	folded map[string]bool
}

type field struct {
	typ reflect.Type
	// quoted is the ",string" option: the number or bool comes as a JSON string.
	quoted bool
}

// conformer checks a decoded JSON tree against the Go type it will be decoded into, and
// rewrites it where AWS's reading differs from encoding/json's. It caches struct fields
// for the one call.
type conformer struct {
	fields map[reflect.Type]structFields
}

// conform returns node as AWS would read it for t, whether that differs from node, or the
// Serialization error AWS would give. path is the member's location, for messages.
func (c *conformer) conform(node any, t reflect.Type, path string) (any, bool, error) {
	if node == nil {
		return nil, false, nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[Time]():
		if !validTime(node) {
			return nil, false, serializationAt(path, scalarMismatch(node, "a Timestamp"))
		}
		return node, false, nil
	case implements[json.Unmarshaler](t):
		return node, false, nil // the type reads its own JSON
	case implements[encoding.TextUnmarshaler](t):
		if _, ok := node.(string); !ok {
			return nil, false, serializationAt(path, scalarMismatch(node, "a String"))
		}
		return node, false, nil
	}
	switch t.Kind() {
	case reflect.Interface:
		return node, false, nil
	case reflect.String:
		return c.scalar(node, path, "a String", func(n any) bool { _, ok := n.(string); return ok })
	case reflect.Bool:
		return c.scalar(node, path, "a Boolean", func(n any) bool { _, ok := n.(bool); return ok })
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return integer(node, t, path)
	case reflect.Float32, reflect.Float64:
		target := "a Double"
		if t.Kind() == reflect.Float32 {
			target = "a Float"
		}
		n, ok := node.(json.Number)
		if !ok {
			return nil, false, serializationAt(path, scalarMismatch(node, target))
		}
		if f, err := strconv.ParseFloat(string(n), t.Bits()); err != nil || math.IsInf(f, 0) {
			return nil, false, serializationAt(path, scalarMismatch(node, target))
		}
		return node, false, nil
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			// A blob: a base64 string, checked by encoding/json.
			return c.scalar(node, path, "a Blob", func(n any) bool { _, ok := n.(string); return ok })
		}
		return c.list(node, t, path)
	case reflect.Map:
		return c.mapping(node, t, path)
	case reflect.Struct:
		return c.structure(node, t, path)
	}
	return node, false, nil
}

// implements says whether t or *t implements the interface I, as encoding/json checks.
func implements[I any](t reflect.Type) bool {
	i := reflect.TypeFor[I]()
	return t.Implements(i) || reflect.PointerTo(t).Implements(i)
}

func (c *conformer) scalar(node any, path, target string, ok func(any) bool) (any, bool, error) {
	if !ok(node) {
		return nil, false, serializationAt(path, scalarMismatch(node, target))
	}
	return node, false, nil
}

// integer accepts a JSON number that fits t. A fraction is truncated toward zero, as AWS
// does, which needs the tree rewritten.
func integer(node any, t reflect.Type, path string) (any, bool, error) {
	target := "an Integer"
	if t.Kind() == reflect.Int64 || t.Kind() == reflect.Uint64 {
		target = "a Long"
	}
	n, ok := node.(json.Number)
	if !ok {
		return nil, false, serializationAt(path, scalarMismatch(node, target))
	}
	fail := serializationAt(path, scalarMismatch(node, target))
	unsigned := t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64
	if !unsigned {
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			if reflect.Zero(t).OverflowInt(i) {
				return nil, false, fail
			}
			return node, false, nil
		}
	} else if u, err := strconv.ParseUint(string(n), 10, 64); err == nil {
		if reflect.Zero(t).OverflowUint(u) {
			return nil, false, fail
		}
		return node, false, nil
	}
	// Not a plain integer: a fraction or an exponent.
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsNaN(f) || f >= math.MaxInt64 || f <= math.MinInt64 {
		return nil, false, fail
	}
	i := int64(f) // truncates toward zero
	switch {
	case unsigned && (i < 0 || reflect.Zero(t).OverflowUint(uint64(i))):
		return nil, false, fail
	case !unsigned && reflect.Zero(t).OverflowInt(i):
		return nil, false, fail
	}
	return json.Number(strconv.FormatInt(i, 10)), true, nil
}

func (c *conformer) list(node any, t reflect.Type, path string) (any, bool, error) {
	items, ok := node.([]any)
	if !ok {
		if _, isMap := node.(map[string]any); isMap {
			return nil, false, serializationAt(path, msgMapNotExpected)
		}
		return nil, false, serializationAt(path, "Expected list or null")
	}
	changed := false
	for i, item := range items {
		v, ch, err := c.conform(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, false, err
		}
		items[i], changed = v, changed || ch
	}
	return items, changed, nil
}

func (c *conformer) mapping(node any, t reflect.Type, path string) (any, bool, error) {
	m, err := object(node, path)
	if err != nil {
		return nil, false, err
	}
	changed := false
	for k, item := range m {
		v, ch, err := c.conform(item, t.Elem(), member(path, k))
		if err != nil {
			return nil, false, err
		}
		m[k], changed = v, changed || ch
	}
	return m, changed, nil
}

func (c *conformer) structure(node any, t reflect.Type, path string) (any, bool, error) {
	m, err := object(node, path)
	if err != nil {
		return nil, false, err
	}
	fields := c.fieldsOf(t)
	changed := false
	for k, item := range m {
		f, ok := fields.byName[k]
		if !ok {
			// Unknown to v: ignored, as AWS ignores it. It must go if encoding/json would
			// take it for a member with another case.
			if fields.folded[strings.ToLower(k)] {
				delete(m, k)
				changed = true
			}
			continue
		}
		if s, isString := item.(string); f.quoted && isString {
			m[k] = s
			continue
		}
		v, ch, err := c.conform(item, f.typ, member(path, k))
		if err != nil {
			return nil, false, err
		}
		m[k], changed = v, changed || ch
	}
	return m, changed, nil
}

// object is node as a JSON object, or AWS's error for a structure or map member that
// holds something else.
func object(node any, path string) (map[string]any, error) {
	switch n := node.(type) {
	case map[string]any:
		return n, nil
	case []any:
		return nil, serializationAt(path, msgListNotExpected)
	}
	return nil, serializationAt(path, "Expected null")
}

func member(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// fieldsOf lists t's JSON members the way encoding/json does: exported fields by their tag
// name or field name, "-" skipped, and the fields of untagged embedded structs promoted,
// a shallower field winning over a deeper one of the same name.
func (c *conformer) fieldsOf(t reflect.Type) structFields {
	if f, ok := c.fields[t]; ok {
		return f
	}
	f := structFields{byName: map[string]field{}, folded: map[string]bool{}}
	seen := map[reflect.Type]bool{}
	level := []reflect.Type{t}
	for len(level) > 0 {
		var next []reflect.Type
		found := map[string]field{}
		for _, st := range level {
			if seen[st] {
				continue
			}
			seen[st] = true
			for i := range st.NumField() {
				sf := st.Field(i)
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				ft := sf.Type
				for ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if sf.Anonymous && name == "" && ft.Kind() == reflect.Struct {
					next = append(next, ft)
					continue
				}
				if !sf.IsExported() {
					continue
				}
				if name == "" {
					name = sf.Name
				}
				if _, taken := f.byName[name]; !taken {
					found[name] = field{typ: sf.Type, quoted: hasOption(opts, "string")}
				}
			}
		}
		for name, fd := range found {
			f.byName[name] = fd
			f.folded[strings.ToLower(name)] = true
		}
		level = next
	}
	c.fields[t] = f
	return f
}

func hasOption(opts, want string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}
