package iamapi

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/berth-registry/berth/internal/awsproto"
	"github.com/berth-registry/berth/internal/errcode"
)

// strShape is a string shape of the IAM and STS models: its length bounds and pattern.
type strShape struct {
	min, max int // max 0 is no bound
	// pattern is the model's pattern as AWS's messages quote it; re is the same in Go's
	// syntax, anchored, since AWS matches a whole value.
	pattern string
	re      *regexp.Regexp
}

func newShape(min, max int, pattern, goPattern string) strShape {
	s := strShape{min: min, max: max, pattern: pattern}
	if goPattern != "" {
		s.re = regexp.MustCompile(`^(?:` + goPattern + `)$`)
	}
	return s
}

// The shapes of the parameters berth serves (botocore iam 2010-05-08, sts 2011-06-15).
var (
	pathType             = newShape(1, 512, `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`, `(/)|(/[\x21-\x7E]+/)`)
	pathPrefixType       = newShape(1, 512, `\u002F[\u0021-\u007F]*`, `/[\x21-\x7F]*`)
	policyPathType       = newShape(1, 512, `((/[A-Za-z0-9\.,\+@=_-]+)*)/`, `((/[A-Za-z0-9\.,\+@=_-]+)*)/`)
	userNameType         = newShape(1, 64, `[\w+=,.@-]+`, `[\w+=,.@-]+`)
	existingUserNameType = newShape(1, 128, `[\w+=,.@-]+`, `[\w+=,.@-]+`)
	groupNameType        = newShape(1, 128, `[\w+=,.@-]+`, `[\w+=,.@-]+`)
	roleNameType         = newShape(1, 64, `[\w+=,.@-]+`, `[\w+=,.@-]+`)
	policyNameType       = newShape(1, 128, `[\w+=,.@-]+`, `[\w+=,.@-]+`)
	arnType              = newShape(20, 2048, "", "")
	markerType           = newShape(1, 320, `[\u0020-\u00FF]+`, `[\x{20}-\x{FF}]+`)
	accessKeyIDType      = newShape(16, 128, `[\w]+`, `[\w]+`)
	policyDocumentType   = newShape(1, 131072, `[\u0009\u000A\u000D\u0020-\u00FF]+`, `[\t\n\r\x{20}-\x{FF}]+`)
	roleDescriptionType  = newShape(0, 1000, `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`, `[\t\n\r\x{20}-\x{7E}\x{A1}-\x{FF}]*`)
	policyDescType       = newShape(0, 1000, "", "")
	policyVersionIDType  = newShape(0, 0, `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`, `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)
	tagKeyType           = newShape(1, 128, `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`, `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
	tagValueType         = newShape(0, 256, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`)

	stsARNType = newShape(20, 2048, `[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+`,
		`[\t\n\r\x{20}-\x{7E}\x{85}\x{A0}-\x{D7FF}\x{E000}-\x{FFFD}\x{10000}-\x{10FFFF}]+`)
	roleSessionNameType = newShape(2, 64, `[\w+=,.@-]*`, `[\w+=,.@-]*`)
	sessionPolicyType   = newShape(1, 0, `[\u0009\u000A\u000D\u0020-\u00FF]+`, `[\t\n\r\x{20}-\x{FF}]+`)
	externalIDType      = newShape(2, 1224, `[\w+=,.@:\/-]*`, `[\w+=,.@:/-]*`)
	serialNumberType    = newShape(9, 256, `[\w+=/:,.@-]*`, `[\w+=/:,.@-]*`)
	tokenCodeType       = newShape(6, 6, `[\d]*`, `[0-9]*`)
	sourceIdentityType  = newShape(2, 64, `[\w+=,.@-]*`, `[\w+=,.@-]*`)
)

// IAM's page sizes: MaxItems is 1 to 1000, 100 if not given.
const (
	defaultMaxItems = 100
	maxMaxItems     = 1000
	maxTags         = 50
)

// params reads a call's parameters and checks them against the model, collecting every
// broken constraint as AWS does ("2 validation errors detected: …; …").
type params struct {
	q          awsproto.Query
	violations []string
	// parseErr is a parameter that is not of its type (an integer, a boolean): AWS
	// reports it alone, before checking constraints.
	parseErr error
}

func newParams(q awsproto.Query) *params { return &params{q: q} }

// fail records that a value breaks constraint; value is quoted as AWS quotes it.
func (p *params) fail(member, value, constraint string) {
	p.violations = append(p.violations,
		fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint))
}

// null records a required member that is missing.
func (p *params) null(member string) {
	p.violations = append(p.violations,
		fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", member))
}

// check checks one string value against its shape.
func (p *params) check(member, v string, s strShape) {
	n := utf8.RuneCountInString(v)
	if n < s.min {
		p.fail(member, v, fmt.Sprintf("Member must have length greater than or equal to %d", s.min))
	}
	if s.max > 0 && n > s.max {
		p.fail(member, v, fmt.Sprintf("Member must have length less than or equal to %d", s.max))
	}
	if s.re != nil && !s.re.MatchString(v) {
		p.fail(member, v, "Member must satisfy regular expression pattern: "+s.pattern)
	}
}

// str reads an optional string parameter; it is "" when not sent.
func (p *params) str(name string, s strShape) (string, bool) {
	v, ok := p.q.String(name)
	if ok {
		p.check(awsproto.MemberName(name), v, s)
	}
	return v, ok
}

// required reads a required string parameter.
func (p *params) required(name string, s strShape) string {
	v, ok := p.str(name, s)
	if !ok {
		p.null(awsproto.MemberName(name))
	}
	return v
}

// integer reads an optional integer parameter within [min, max].
func (p *params) integer(name string, min, max int) (int, bool) {
	n, ok, err := p.q.Int(name)
	if err != nil {
		if p.parseErr == nil {
			p.parseErr = err
		}
		return 0, false
	}
	if ok {
		member := awsproto.MemberName(name)
		if n < min {
			p.fail(member, strconv.Itoa(n), fmt.Sprintf("Member must have value greater than or equal to %d", min))
		}
		if n > max {
			p.fail(member, strconv.Itoa(n), fmt.Sprintf("Member must have value less than or equal to %d", max))
		}
	}
	return n, ok
}

// boolean reads an optional boolean parameter, false when not sent.
func (p *params) boolean(name string) bool {
	v, _, err := p.q.Bool(name)
	if err != nil && p.parseErr == nil {
		p.parseErr = err
	}
	return v
}

// enum reads an optional parameter whose value is one of values.
func (p *params) enum(name string, values ...string) (string, bool) {
	v, ok := p.q.String(name)
	if ok && !slices.Contains(values, v) {
		p.fail(awsproto.MemberName(name), v, "Member must satisfy enum value set: ["+strings.Join(values, ", ")+"]")
	}
	return v, ok
}

// tags reads a list of tags (at most 50, each key and value of the tag shapes).
func (p *params) tags(name string) []awsproto.Tag {
	tags := p.q.Tags(name)
	member := awsproto.MemberName(name)
	if len(tags) > maxTags {
		p.fail(member, tagList(tags), fmt.Sprintf("Member must have length less than or equal to %d", maxTags))
	}
	for i, t := range tags {
		p.check(fmt.Sprintf("%s.%d.member.key", member, i+1), t.Key, tagKeyType)
		p.check(fmt.Sprintf("%s.%d.member.value", member, i+1), t.Value, tagValueType)
	}
	return tags
}

// tagList writes tags as AWS's messages show a list value.
func tagList(tags []awsproto.Tag) string {
	parts := make([]string, len(tags))
	for i, t := range tags {
		parts[i] = "Tag(key=" + t.Key + ", value=" + t.Value + ")"
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// page reads Marker and MaxItems, the paging parameters of IAM's list operations.
func (p *params) page() (marker string, maxItems int) {
	marker, _ = p.str("Marker", markerType)
	maxItems, ok := p.integer("MaxItems", 1, maxMaxItems)
	if !ok {
		maxItems = defaultMaxItems
	}
	return marker, maxItems
}

// err returns the request's first type error, or every broken constraint as one
// ValidationError, or nil.
func (p *params) err() error {
	if p.parseErr != nil {
		return p.parseErr
	}
	switch n := len(p.violations); n {
	case 0:
		return nil
	case 1:
		return errcode.New(errcode.Validation, "1 validation error detected: %s", p.violations[0])
	default:
		return errcode.New(errcode.Validation, "%d validation errors detected: %s", n, strings.Join(p.violations, "; "))
	}
}

// requestTags are the condition keys of tags a request carries: aws:RequestTag/<key>
// and aws:TagKeys. They are nil without tags.
func requestTags(tags []awsproto.Tag) map[string][]string {
	if len(tags) == 0 {
		return nil
	}
	keys := map[string][]string{}
	for _, t := range tags {
		keys["aws:RequestTag/"+t.Key] = []string{t.Value}
		keys["aws:TagKeys"] = append(keys["aws:TagKeys"], t.Key)
	}
	return keys
}

// unsupported refuses a parameter berth does not implement where ignoring it would
// grant more than the caller asked for (a permissions boundary, session policies by
// ARN, session tags), rather than silently dropping it.
func unsupported(action, name, hint string) error {
	return errcode.New(errcode.Unsupported, "berth does not support %s in %s; %s", name, action, hint)
}

// pageOf returns the page of items after marker, as IAM pages lists that the backend
// returns whole: up to maxItems, and the marker of the next page ("" for the last).
// A marker is the key of the last item of the previous page, encoded as the backend
// encodes its own; one that names no item (deleted since) is refused.
func pageOf[T any](items []T, marker string, maxItems int, key func(T) string) ([]T, string, error) {
	start := 0
	if marker != "" {
		after, err := base64.RawURLEncoding.DecodeString(marker)
		if err != nil {
			return nil, "", errcode.New(errcode.InvalidParameter, "Invalid Marker.")
		}
		start = -1
		for i, it := range items {
			if key(it) == string(after) {
				start = i + 1
				break
			}
		}
		if start < 0 {
			return nil, "", errcode.New(errcode.InvalidParameter, "Invalid Marker.")
		}
	}
	items = items[start:]
	if len(items) <= maxItems {
		return items, "", nil
	}
	items = items[:maxItems]
	return items, base64.RawURLEncoding.EncodeToString([]byte(key(items[len(items)-1]))), nil
}
