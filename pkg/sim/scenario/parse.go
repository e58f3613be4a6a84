package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Parse decodes a Scenario document (JSON, as pkg/manifest returns it in Set.Other["Scenario"]),
// fills in defaults and validates it. Every problem is reported with its field path and what to
// change.
func Parse(data []byte) (*Scenario, error) {
	var raw any
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("scenario: not valid JSON: %w", err)
	}
	var problems []string
	unknownFields(reflect.TypeOf(Scenario{}), raw, "", &problems)
	if len(problems) > 0 {
		return nil, listError("scenario", problems)
	}
	var s Scenario
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("scenario: %s", describeDecodeError(err))
	}
	if errs := s.Validate(); len(errs) > 0 {
		return nil, listError("scenario "+s.Metadata.Name, errs)
	}
	s.Default()
	return &s, nil
}

func listError(what string, problems []string) error {
	if len(problems) == 1 {
		return fmt.Errorf("%s: %s", what, problems[0])
	}
	return fmt.Errorf("%s has %d problems:\n  - %s", what, len(problems), strings.Join(problems, "\n  - "))
}

func describeDecodeError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s: a %s cannot be a %s", te.Field, te.Value, te.Type)
	}
	return err.Error()
}

// unknownFields walks the decoded document against the Go type and reports keys the type does not
// have, with the closest known name.
func unknownFields(t reflect.Type, v any, path string, problems *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == reflect.TypeOf(Duration{}) {
			return
		}
		m, ok := v.(map[string]any)
		if !ok {
			return // a type error the decoder reports
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := strings.Split(f.Tag.Get("json"), ",")[0]
			if name == "" || name == "-" {
				continue
			}
			fields[name] = f.Type
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := join(path, k)
			ft, ok := fields[k]
			if !ok {
				msg := fmt.Sprintf("%s: unknown field", p)
				if s := closest(k, fields); s != "" {
					msg += fmt.Sprintf("; did you mean %s?", join(path, s))
				}
				*problems = append(*problems, msg)
				continue
			}
			unknownFields(ft, m[k], p, problems)
		}
	case reflect.Slice:
		items, ok := v.([]any)
		if !ok {
			return
		}
		for i, item := range items {
			unknownFields(t.Elem(), item, fmt.Sprintf("%s[%d]", path, i), problems)
		}
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// closest is the known field nearest to k: equal ignoring case, or within two edits.
func closest(k string, fields map[string]reflect.Type) string {
	best, bestD := "", 3
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if strings.EqualFold(n, k) {
			return n
		}
		if d := editDistance(strings.ToLower(n), strings.ToLower(k)); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
