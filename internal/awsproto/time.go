package awsproto

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Time is an AWS JSON timestamp: epoch seconds as a JSON number, with a millisecond
// fraction when there is one (1795378283.009), which is what ECR sends and every SDK
// reads. Decoding also takes an ISO-8601 string, which some clients send in requests.
// AWS timestamps carry milliseconds; finer precision is rounded away.
//
// A zero Time encodes as null; response fields that may be unset should be tagged
// `json:",omitzero"` (or be *Time with omitempty) so that they are left out, as AWS does.
type Time struct{ time.Time }

// MarshalJSON writes t as epoch seconds.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	// 'f' with precision -1 is the shortest decimal that reads back to the same float64,
	// so milliseconds print as three digits or fewer and whole seconds print bare.
	return []byte(strconv.FormatFloat(float64(t.Round(time.Millisecond).UnixMilli())/1000, 'f', -1, 64)), nil
}

// UnmarshalJSON reads epoch seconds (a number) or an ISO-8601 string; null leaves t as is.
func (t *Time) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if string(data) == "null" {
		return nil
	}
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("awsproto: timestamp: %w", err)
		}
		parsed, err := parseTimeString(s)
		if err != nil {
			return err
		}
		t.Time = parsed
		return nil
	}
	parsed, err := parseEpoch(string(data))
	if err != nil {
		return err
	}
	t.Time = parsed
	return nil
}

// maxEpochSeconds keeps conversions exact and in range: year 33658 is far enough.
const maxEpochSeconds = 1e12

func parseEpoch(s string) (time.Time, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) > maxEpochSeconds {
		return time.Time{}, fmt.Errorf("awsproto: timestamp %q is not epoch seconds", s)
	}
	sec := math.Floor(f)
	ms := math.Round((f - sec) * 1000)
	return time.Unix(int64(sec), int64(ms)*int64(time.Millisecond)).UTC(), nil
}

// parseTimeString reads the ISO-8601 forms clients send, and epoch seconds in a string.
func parseTimeString(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05", basicFormat} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Round(time.Millisecond).UTC(), nil
		}
	}
	if t, err := parseEpoch(s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("awsproto: timestamp %q is neither epoch seconds nor ISO-8601", s)
}

// validTime says whether a decoded JSON value (json.Number or string) is a timestamp.
func validTime(node any) bool {
	switch n := node.(type) {
	case json.Number:
		_, err := parseEpoch(string(n))
		return err == nil
	case string:
		_, err := parseTimeString(n)
		return err == nil
	}
	return false
}
