package awsproto

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTimeMarshal(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		want string
	}{
		{name: "milliseconds", t: time.UnixMilli(1795378283009), want: "1795378283.009"},
		{name: "whole seconds", t: time.Unix(1795378503, 0), want: "1795378503"},
		{name: "trailing zero", t: time.UnixMilli(1795378263590), want: "1795378263.59"},
		{name: "rounded to milliseconds", t: time.Unix(1448875853, 241400000), want: "1448875853.241"},
		{name: "before 1970", t: time.UnixMilli(-1500), want: "-1.5"},
		{name: "zero", t: time.Time{}, want: "null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(Time{tt.t})
			if err != nil || string(got) != tt.want {
				t.Errorf("Marshal = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestTimeUnmarshal(t *testing.T) {
	created := time.UnixMilli(1795378283009).UTC()
	tests := []struct {
		json string
		want time.Time
		bad  bool
	}{
		{json: "1795378283.009", want: created},
		{json: "1.795378283009E9", want: created},
		{json: "1795378283", want: time.Unix(1795378283, 0).UTC()},
		{json: "-1.5", want: time.UnixMilli(-1500).UTC()},
		{json: `"2026-11-22T20:11:23.009Z"`, want: created},
		{json: `"2026-11-22T21:11:23.009+01:00"`, want: created},
		{json: `"2026-11-22T20:11:23.009+0000"`, want: created},
		{json: `"20261122T201123Z"`, want: time.Unix(1795378283, 0).UTC()},
		{json: `"1795378283.009"`, want: created},
		{json: "null"},
		{json: `"yesterday"`, bad: true},
		{json: "1e300", bad: true},
		{json: "true", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			var got Time
			err := json.Unmarshal([]byte(tt.json), &got)
			if tt.bad {
				if err == nil {
					t.Errorf("Unmarshal(%s) = %v, want an error", tt.json, got)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Errorf("Unmarshal(%s) = %v, %v; want %v", tt.json, got.Time, err, tt.want)
			}
		})
	}
}

func TestTimeRoundTrip(t *testing.T) {
	in := Time{time.UnixMilli(1795378493494).UTC()}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Time
	if err := json.Unmarshal(b, &out); err != nil || !out.Equal(in.Time) {
		t.Errorf("round trip %v -> %s -> %v, %v", in, b, out, err)
	}
}
