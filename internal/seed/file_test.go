package seed_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/seed"
)

func TestParseErrorsNameTheLine(t *testing.T) {
	for _, c := range []struct {
		name, text string
		line       int
		msg        string
	}{
		{"unknown key", "pools:\n  - name: a\n    clients:\n      - name: web\n        calbackURLs: [x]\n", 5,
			`unknown key "calbackURLs"`},
		{"unknown key suggestion", "pools:\n  - name: a\n    usernameAtributes: [email]\n", 3, `did you mean "usernameAttributes"?`},
		{"wrong type", "pools:\n  - name: a\n    caseSensitive: nope\n", 3, `want true or false, not "nope"`},
		{"wrong type list", "pools:\n  - name: a\n    autoVerifiedAttributes: email\n", 3, "want a list"},
		{"wrong type int", "pools:\n  - name: a\n    passwordPolicy:\n      minLength: eight\n", 4, "want a whole number"},
		{"bad duration", "pools:\n  - name: a\n    clients:\n      - name: web\n        accessTokenValidity: 5x\n", 5,
			`bad duration "5x": want a whole number and a unit s, m, h or d`},
		{"bad duration unit", "pools:\n  - name: a\n    clients:\n      - name: web\n        refreshTokenRotation:\n          enabled: true\n          gracePeriod: 10\n", 7,
			"bad duration"},
		{"missing name", "pools:\n  - name: a\n  - id: us-east-1_X1\n", 3, `missing required key "name"`},
		{"missing user name", "pools:\n  - name: a\n    users:\n      - password: x\n", 4, `missing required key "username"`},
		{"missing pools", "other: 1\n", 1, `unknown key "other"`},
		{"no pools", "{}\n", 1, `missing required key "pools"`},
		{"duplicate key", "pools:\n  - name: a\n    name: b\n", 3, `key "name" appears twice`},
		{"duplicate pool", "pools:\n  - name: a\n  - name: a\n", 3, "already defined at line 2"},
		{"bad pool id", "pools:\n  - name: a\n    id: nope\n", 2, "not a user pool id"},
		{"bad client id", "pools:\n  - name: a\n    clients:\n      - {name: w, id: 'a b'}\n", 4, "not a client id"},
		{"short secret", "pools:\n  - name: a\n    clients:\n      - {name: w, secret: short}\n", 4, "24 to 64"},
		{"unknown group", "pools:\n  - name: a\n    users:\n      - {username: u, groups: [admins]}\n", 4, `group "admins" is not in the pool's groups`},
		{"unconfirmed without client", "pools:\n  - name: a\n    users:\n      - {username: u, password: Passw0rd!, confirmed: false}\n", 4, "the pool has none"},
	} {
		_, err := seed.Parse("test.yaml", []byte(c.text))
		var le *seed.LineError
		if !errors.As(err, &le) {
			t.Errorf("%s: %v, want a *LineError", c.name, err)
			continue
		}
		if le.Line != c.line || !strings.Contains(le.Msg, c.msg) || !strings.HasPrefix(err.Error(), "test.yaml:") {
			t.Errorf("%s: %q, want line %d and %q", c.name, err, c.line, c.msg)
		}
	}
	if _, err := seed.Parse("test.yaml", []byte("pools: [\n")); err == nil || !strings.Contains(err.Error(), "line") {
		t.Errorf("a YAML syntax error: %v", err)
	}
}

func TestParseDurations(t *testing.T) {
	f, err := seed.Parse("t", []byte(`pools:
  - name: a
    clients:
      - name: web
        accessTokenValidity: 5m
        idTokenValidity: 1h
        refreshTokenValidity: 30d
        refreshTokenRotation: {enabled: true, gracePeriod: 10s}
`))
	if err != nil {
		t.Fatal(err)
	}
	c := f.Pools[0].Clients[0]
	if c.AccessTokenValidity.Length().Minutes() != 5 || c.AccessTokenValidity.Unit != "minutes" ||
		c.IDTokenValidity.Unit != "hours" || c.RefreshTokenValidity.Length().Hours() != 720 ||
		c.RefreshTokenRotation.GracePeriod.Length().Seconds() != 10 || c.RefreshTokenValidity.String() != "30d" {
		t.Errorf("%+v", c)
	}
	if c.Line != 4 || f.Pools[0].Line != 2 {
		t.Errorf("lines %d %d", c.Line, f.Pools[0].Line)
	}
}
