package fake

import (
	"fmt"
	"testing"
)

func TestPageOf(t *testing.T) {
	items := func() []keyed {
		return []keyed{{"c", 3}, {"a", 1}, {"e", 5}, {"b", 2}, {"d", 4}}
	}
	cases := []struct {
		skip     string
		size     int
		want     string
		wantNext string
	}{
		{"", 2, "[1 2]", "b"},
		{"b", 2, "[3 4]", "d"},
		{"d", 2, "[5]", ""},
		{"", 5, "[1 2 3 4 5]", ""},
		{"", 10, "[1 2 3 4 5]", ""},
		{"bb", 2, "[3 4]", "d"}, // an item deleted between pages does not shift the next page
		{"z", 2, "[]", ""},
	}
	for _, tc := range cases {
		page, next := pageOf(items(), tc.skip, tc.size)
		if got := fmt.Sprint(page); got != tc.want || next != tc.wantNext {
			t.Errorf("pageOf(skip %q, size %d) = %s next %q, want %s next %q", tc.skip, tc.size, got, next, tc.want, tc.wantNext)
		}
	}
}
