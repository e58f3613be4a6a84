package scenario

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a span of time written as a Go duration ("90s", "1m30s", "250ms") or a number of
// seconds (20, 0.5).
type Duration struct{ time.Duration }

// D makes a Duration.
func D(d time.Duration) Duration { return Duration{d} }

// UnmarshalJSON reads "20s" or 20.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		var text string
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
		text = strings.TrimSpace(text)
		if v, err := strconv.ParseFloat(text, 64); err == nil {
			return d.setSeconds(v, text)
		}
		v, err := time.ParseDuration(text)
		if err != nil {
			return fmt.Errorf("%q is not a duration: write it like \"30s\", \"1m30s\" or \"250ms\"", text)
		}
		d.Duration = v
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("%s is not a duration: write it like \"30s\" or a number of seconds", s)
	}
	return d.setSeconds(v, s)
}

func (d *Duration) setSeconds(v float64, text string) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e9 {
		return fmt.Errorf("%s is not a usable number of seconds", text)
	}
	d.Duration = time.Duration(math.Round(v * float64(time.Second)))
	return nil
}

// MarshalJSON writes the Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }
