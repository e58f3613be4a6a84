package e2e

import (
	"encoding/json"
	"fmt"
)

// jsonValue is v as generic JSON (maps, slices, strings, float64s), as ARM would show it.
func jsonValue(v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return out
}

// jsonString renders generic JSON compactly, map keys sorted.
func jsonString(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return string(data)
}

// withoutKeys removes the keys from every object in generic JSON v, in place, and returns v.
func withoutKeys(v any, keys ...string) any {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range keys {
			delete(x, k)
		}
		for k, child := range x {
			x[k] = withoutKeys(child, keys...)
		}
	case []any:
		for i, child := range x {
			x[i] = withoutKeys(child, keys...)
		}
	}
	return v
}
