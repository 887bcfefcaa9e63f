//go:build race

package nlu

// raceEnabled is true when the tests run under the race detector, which
// makes a full training run too slow for the test time budget.
const raceEnabled = true
