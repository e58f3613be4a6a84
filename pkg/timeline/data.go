package timeline

import (
	"encoding/json"
	"fmt"

	"github.com/azlb/azlb/pkg/sim"
)

// scriptJSON encodes v for the inside of a <script type="application/json"> element. encoding/json
// escapes '<', '>' and '&' as \u003c, \u003e and \u0026 (and U+2028, U+2029), so no string in the
// data can close the element ("</script>") or open a comment ("<!--"), and JSON.parse gives the
// strings back unchanged.
func scriptJSON(v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding the timeline data: %w", err)
	}
	return data, nil
}

// resultJSON is the data of a page or of a poll: the result, or null when there is none yet.
func resultJSON(r *sim.Result) ([]byte, error) {
	if r == nil {
		return []byte("null"), nil
	}
	return scriptJSON(r)
}
