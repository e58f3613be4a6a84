// Command validation writes docs/validation.md: the claims the project relies on, replayed by the
// simulator, each with PASS or FAIL (pkg/check/validation). Run it from the repository's root:
//
//	go run ./hack/validation -o docs/validation.md
//
// It exits with status 1 when a claim fails (the file is written all the same).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/azlb/azlb/pkg/check/validation"
)

func main() {
	out := flag.String("o", "", "write the table to this file (default: standard output)")
	root := flag.String("root", ".", "the repository's root (where examples/ is)")
	flag.Parse()
	table, err := validation.Run(context.Background(), *root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "validation:", err)
		os.Exit(2)
	}
	md := table.Markdown()
	if *out == "" {
		_, err = os.Stdout.Write(md)
	} else {
		err = os.WriteFile(*out, md, 0o644) //nolint:gosec // documentation
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "validation:", err)
		os.Exit(2)
	}
	if failed := table.Failed(); len(failed) > 0 {
		for _, r := range failed {
			fmt.Fprintf(os.Stderr, "validation: FAIL: %s: expected %s, simulated %s\n", r.Claim, r.Expected, r.Simulated)
		}
		os.Exit(1)
	}
}
