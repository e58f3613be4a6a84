//go:build race

package main

// raceEnabled: the test runs with -race, so the programs it builds do too.
const raceEnabled = true
