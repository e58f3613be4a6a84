package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes the result as indented JSON, with the timeline's series each on one line so that
// the file stays readable. The bytes depend only on the result.
func (r *Result) WriteJSON(out io.Writer) error {
	head := *r
	head.Timeline = nil
	data, err := json.MarshalIndent(&head, "", "  ")
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if r.Timeline == nil {
		b.Write(data)
		b.WriteByte('\n')
		_, err = out.Write(b.Bytes())
		return err
	}
	b.Write(bytes.TrimSuffix(data, []byte("\n}")))
	b.WriteString(",\n  \"timeline\": {\n")
	t := r.Timeline
	fields := []struct {
		key string
		v   any
	}{
		{"bucketSeconds", t.Bucket}, {"times", t.Times}, {"requests", t.Requests}, {"served", t.Served},
		{"connectionRefused", t.Refused}, {"noHealthyBackend", t.NoHealthyBackend}, {"reset", t.Reset}, {"timeout", t.Timeout},
	}
	for _, f := range fields {
		v, err := json.Marshal(f.v)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "    %q: %s,\n", f.key, v)
	}
	if err := writeLines(&b, "nodes", t.Nodes); err != nil {
		return err
	}
	b.WriteString(",\n")
	if err := writeLines(&b, "events", t.Events); err != nil {
		return err
	}
	b.WriteString("\n  }\n}\n")
	_, err = out.Write(b.Bytes())
	return err
}

// writeLines writes "key": [ one compact element per line ].
func writeLines[T any](b *bytes.Buffer, key string, items []T) error {
	fmt.Fprintf(b, "    %q: [", key)
	for i, it := range items {
		v, err := json.Marshal(it)
		if err != nil {
			return err
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n      ")
		b.Write(v)
	}
	if len(items) > 0 {
		b.WriteString("\n    ")
	}
	b.WriteString("]")
	return nil
}
