package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// addOutputFlag declares --output (-o), which checkOutput validates.
func addOutputFlag(f *pflag.FlagSet, output *string) {
	f.StringVarP(output, "output", "o", "table", "table (for people) or json (for scripts)")
}

// checkOutput is the usage error of a bad --output.
func checkOutput(output string) error {
	if output != "table" && output != "json" {
		return usagef("--output: want table or json, not %q", output)
	}
	return nil
}

// addPoolFlag declares the required --pool of a command that acts on one
// user pool, and with alias --pool-id, the name AWS's CLI gives it.
func addPoolFlag(f *pflag.FlagSet, pool *string, alias bool) {
	f.StringVar(pool, "pool", "", "the user pool's id (required)")
	if alias {
		f.StringVar(pool, "pool-id", "", "the same as --pool")
	}
}

// poolClient is the user-pool API client of a command that needs --pool,
// which it checks first.
func (c *connFlags) poolClient(cmd *cobra.Command, pool string) (*cip.Client, error) {
	if pool == "" {
		return nil, usagef("--pool is required")
	}
	client, _, err := c.client(cmd.Context(), cmd.Flags(), pool)
	return client, err
}

// show writes a command's result: v as JSON with --output json, else what
// rows writes (a table's tab-separated rows, or a sentence), with the
// columns aligned.
func (c *connFlags) show(cmd *cobra.Command, v any, rows func(w io.Writer)) error {
	if c.output == "json" {
		return writeJSON(cmd.OutOrStdout(), v)
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	rows(tw)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write the table: %w", err)
	}
	return nil
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}
