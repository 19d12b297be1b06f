package main

// The operator's and user's commands: seed, pool, client, user, session,
// audit, signin, whoami and signout. They speak only the public user-pool
// API (through aws-sdk-go-v2 or the auth SDK), so they work against Amazon
// Cognito too; session and audit call Cognate's own operations
// (CognateService.*), in the same protocol and signed the same way.
//
// Exit codes: 0 success, 1 an error, 2 a usage error (a bad flag, a
// missing argument), 3 a partial sign-out. Cobra's own error path ends in
// main's exit 1, so each command here ends the process itself on error,
// with the code the error carries.

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes of the commands.
const (
	exitOK      = 0
	exitError   = 1
	exitUsage   = 2
	exitPartial = 3
)

// exitErr is an error with the process's exit code; a nil err exits
// silently (the command has said what there was to say).
type exitErr struct {
	code int
	err  error
}

func (e *exitErr) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitErr) Unwrap() error { return e.err }

// usagef is a usage error: exit code 2.
func usagef(format string, args ...any) error {
	return &exitErr{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// cliCommands returns the commands of this file's family, ready for
// root.AddCommand.
func cliCommands() []*cobra.Command {
	cmds := []*cobra.Command{seedCmd(), poolCmd(), clientCmd(), userCmd(), sessionCmd(), auditCmd(), signinCmd(), whoamiCmd(), signoutCmd()}
	for _, c := range cmds {
		setExits(c)
	}
	return cmds
}

// setExits makes c and its subcommands exit with the code of their error:
// RunE errors end the process here (main would exit 1 whatever the error),
// flag errors and stray arguments with exit code 2.
func setExits(c *cobra.Command) {
	c.SilenceUsage, c.SilenceErrors = true, true
	c.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		fail(c, usagef("%w", err))
		return err
	})
	switch {
	case c.RunE != nil:
		run := c.RunE
		c.RunE = func(c *cobra.Command, args []string) error {
			if err := run(c, args); err != nil {
				fail(c, err)
			}
			return nil
		}
	case c.HasSubCommands():
		// A group: without a (known) subcommand, show the help; a stray
		// word is a usage error.
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				fail(c, usagef("unknown command %q for %q", args[0], c.CommandPath()))
			}
			return c.Help()
		}
	}
	for _, sub := range c.Commands() {
		setExits(sub)
	}
}

// fail prints err (unless it is a silent exit) and ends the process with
// its code.
func fail(c *cobra.Command, err error) {
	code := exitError
	var ee *exitErr
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			os.Exit(code)
		}
	}
	fmt.Fprintf(c.ErrOrStderr(), "%s: %v\n", c.CommandPath(), err)
	if code == exitUsage {
		fmt.Fprintf(c.ErrOrStderr(), "Run '%s --help' for usage.\n", c.CommandPath())
	}
	os.Exit(code)
}

// args checks the number of positional arguments: exactly len(names).
func args(got []string, names ...string) error {
	if len(got) != len(names) {
		if len(names) == 0 {
			return usagef("takes no arguments, got %q", strings.Join(got, " "))
		}
		return usagef("want %s, got %d argument(s)", strings.Join(names, " "), len(got))
	}
	return nil
}

// onOff reads an on|off flag.
func onOff(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "on", "true", "yes":
		return true, nil
	case "off", "false", "no":
		return false, nil
	}
	return false, usagef("--%s: want on or off, not %q", name, v)
}
