package seed

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Action is what Apply did to one thing of the file.
type Action string

// The actions of a Result.
const (
	Created   Action = "created"
	Updated   Action = "updated"
	Unchanged Action = "unchanged"
	Failed    Action = "failed"
	Skipped   Action = "skipped"
)

// Result is what Apply did to one pool, client, group or user.
type Result struct {
	Kind string `json:"kind"` // "pool", "client", "group" or "user"
	Name string `json:"name"`
	// ID is the pool's or client's id, the user's username (the sub in
	// pools that sign in by e-mail or phone number).
	ID string `json:"id,omitempty"`
	// PoolID is the id of the pool a client, group or user belongs to.
	PoolID string `json:"poolId,omitempty"`
	Action Action `json:"action"`
	// Changes name what was updated (or, for a creation, how).
	Changes []string `json:"changes,omitempty"`
	// Note says what the reader should know (an id that was not honoured).
	Note string `json:"note,omitempty"`
	// Error is why the action failed or was skipped.
	Error string `json:"error,omitempty"`
	// Line is where the thing is defined in the file.
	Line int `json:"line"`
}

// Report lists the results of an Apply, in the file's order.
type Report struct {
	Results []Result `json:"results"`
}

// Err is nil when nothing failed or was skipped, else an error counting them.
func (r *Report) Err() error {
	n := 0
	for _, res := range r.Results {
		if res.Action == Failed || res.Action == Skipped {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return fmt.Errorf("seed: %d of %d items failed or were skipped", n, len(r.Results))
}

// Changed reports whether anything was created or updated.
func (r *Report) Changed() bool {
	for _, res := range r.Results {
		if res.Action == Created || res.Action == Updated {
			return true
		}
	}
	return false
}

// Find returns the first result of a kind and name.
func (r *Report) Find(kind, name string) (Result, bool) {
	for _, res := range r.Results {
		if res.Kind == kind && res.Name == name {
			return res, true
		}
	}
	return Result{}, false
}

// WriteTable writes the report as a table for people.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tID\tACTION\tDETAILS")
	for _, res := range r.Results {
		var details []string
		if len(res.Changes) > 0 {
			details = append(details, strings.Join(res.Changes, ", "))
		}
		if res.Note != "" {
			details = append(details, res.Note)
		}
		if res.Error != "" {
			details = append(details, fmt.Sprintf("line %d: %s", res.Line, res.Error))
		}
		id := res.ID
		if id == "" {
			id = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", res.Kind, res.Name, id, res.Action, strings.Join(details, "; "))
	}
	return tw.Flush()
}
