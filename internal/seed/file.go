// Package seed reads a seed file — the user pools, app clients, users and
// groups a development or test environment needs — and applies it to a
// Cognito user-pool service (Cognate or Amazon Cognito) through its public
// API, idempotently: what exists and matches the file is left alone, what
// differs is updated, what is missing is created.
package seed

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// File is a seed file.
type File struct {
	Pools []Pool `yaml:"pools" seed:"required"`
}

// Pool is a user pool of the seed file. Pointer and slice fields left nil
// are not managed: an existing pool keeps what it has.
type Pool struct {
	Line int `yaml:"-"`
	// Name is the pool's name; pools are matched by it when the id is not
	// fixed (or cannot be, on Amazon Cognito).
	Name string `yaml:"name" seed:"required"`
	// ID fixes the pool's id ("<region>_<alphanumerics>"): Cognate only.
	ID string `yaml:"id"`

	// Fixed at creation (a difference later is an error).
	UsernameAttributes []string          `yaml:"usernameAttributes"`
	AliasAttributes    []string          `yaml:"aliasAttributes"`
	CaseSensitive      *bool             `yaml:"caseSensitive"`
	Schema             []SchemaAttribute `yaml:"schema"`

	// Updatable.
	AutoVerifiedAttributes []string          `yaml:"autoVerifiedAttributes"`
	AccountRecovery        []string          `yaml:"accountRecovery"`
	PasswordPolicy         *PasswordPolicy   `yaml:"passwordPolicy"`
	DeletionProtection     *bool             `yaml:"deletionProtection"`
	AdminCreateUserOnly    *bool             `yaml:"adminCreateUserOnly"`
	Tags                   map[string]string `yaml:"tags"`

	// ResourceServers are applied before the clients, whose oauth scopes
	// may name their scopes (resourceservers.go).
	ResourceServers []ResourceServer `yaml:"resourceServers"`
	Clients         []Client         `yaml:"clients"`
	Groups          []Group          `yaml:"groups"`
	Users           []User           `yaml:"users"`
}

// ResourceServer declares custom scopes <identifier>/<scope> that app
// clients may be allowed.
type ResourceServer struct {
	Line       int     `yaml:"-"`
	Identifier string  `yaml:"identifier" seed:"required"`
	Name       string  `yaml:"name" seed:"required"`
	Scopes     []Scope `yaml:"scopes"`
}

// Scope is a scope of a resource server.
type Scope struct {
	Line        int    `yaml:"-"`
	Name        string `yaml:"name" seed:"required"`
	Description string `yaml:"description" seed:"required"`
}

// SchemaAttribute declares an attribute (custom ones are named without the
// "custom:" prefix, as CreateUserPool takes them).
type SchemaAttribute struct {
	Line      int    `yaml:"-"`
	Name      string `yaml:"name" seed:"required"`
	Type      string `yaml:"type"` // String (default), Number, DateTime, Boolean
	Required  *bool  `yaml:"required"`
	Mutable   *bool  `yaml:"mutable"`
	MinLength *int   `yaml:"minLength"`
	MaxLength *int   `yaml:"maxLength"`
}

// PasswordPolicy is a pool's password policy.
type PasswordPolicy struct {
	MinLength                     *int  `yaml:"minLength"`
	RequireUppercase              *bool `yaml:"requireUppercase"`
	RequireLowercase              *bool `yaml:"requireLowercase"`
	RequireNumbers                *bool `yaml:"requireNumbers"`
	RequireSymbols                *bool `yaml:"requireSymbols"`
	TemporaryPasswordValidityDays *int  `yaml:"temporaryPasswordValidityDays"`
}

// Client is an app client of a pool.
type Client struct {
	Line int    `yaml:"-"`
	Name string `yaml:"name" seed:"required"`
	// ID fixes the client's id: Cognate only.
	ID string `yaml:"id"`
	// Secret fixes the client's secret (24–64 characters); GenerateSecret
	// asks for a random one. Either is set at creation only.
	Secret         string `yaml:"secret"`
	GenerateSecret *bool  `yaml:"generateSecret"`

	AuthFlows            []string  `yaml:"authFlows"`
	AccessTokenValidity  *Duration `yaml:"accessTokenValidity"`
	IDTokenValidity      *Duration `yaml:"idTokenValidity"`
	RefreshTokenValidity *Duration `yaml:"refreshTokenValidity"`
	TokenRevocation      *bool     `yaml:"tokenRevocation"`
	RefreshTokenRotation *Rotation `yaml:"refreshTokenRotation"`
	// PreventUserExistenceErrors: true is ENABLED, false LEGACY.
	PreventUserExistenceErrors *bool    `yaml:"preventUserExistenceErrors"`
	ReadAttributes             []string `yaml:"readAttributes"`
	WriteAttributes            []string `yaml:"writeAttributes"`
	OAuth                      *OAuth   `yaml:"oauth"`
}

// Rotation configures refresh-token rotation.
type Rotation struct {
	Enabled     bool      `yaml:"enabled" seed:"required"`
	GracePeriod *Duration `yaml:"gracePeriod"`
}

// OAuth is an app client's hosted-UI (OAuth 2.0) settings.
type OAuth struct {
	Flows              []string `yaml:"flows" seed:"required"`
	Scopes             []string `yaml:"scopes"`
	CallbackURLs       []string `yaml:"callbackURLs"`
	LogoutURLs         []string `yaml:"logoutURLs"`
	DefaultRedirectURI string   `yaml:"defaultRedirectURI"`
	IdentityProviders  []string `yaml:"identityProviders"`
}

// Group is a group of a pool.
type Group struct {
	Line        int    `yaml:"-"`
	Name        string `yaml:"name" seed:"required"`
	Description string `yaml:"description"`
	Precedence  *int   `yaml:"precedence"`
}

// User is a user of a pool.
//
// Passwords cannot be read back, so Password is set when the user is
// created, and afterwards only with ResetPassword (on every apply), or when
// the file asks for a permanent password and the user still has to change a
// temporary one.
type User struct {
	Line     int    `yaml:"-"`
	Username string `yaml:"username" seed:"required"`
	Password string `yaml:"password"`
	// TemporaryPassword makes Password one the user must change at the
	// first sign-in (FORCE_CHANGE_PASSWORD).
	TemporaryPassword bool `yaml:"temporaryPassword"`
	// ResetPassword sets Password on every apply, not only on creation.
	ResetPassword bool `yaml:"resetPassword"`
	// Confirmed false signs the user up (SignUp through one of the pool's
	// clients) and leaves the sign-up unconfirmed. Default true.
	Confirmed  *bool             `yaml:"confirmed"`
	Enabled    *bool             `yaml:"enabled"` // default true
	Attributes map[string]string `yaml:"attributes"`
	Groups     []string          `yaml:"groups"`
}

// Duration is a length of time written as a whole number and a unit: s,
// m, h or d (5m, 1h, 30d). It keeps its unit, which Cognito's token
// validity settings take as a separate member.
type Duration struct {
	N    int
	Unit string // "seconds", "minutes", "hours" or "days"
}

var durationRE = regexp.MustCompile(`^([0-9]{1,6})([smhd])$`)

var durationUnits = map[string]string{"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}

var unitLength = map[string]time.Duration{"seconds": time.Second, "minutes": time.Minute, "hours": time.Hour, "days": 24 * time.Hour}

// ParseDuration reads "5m", "1h", "30d", "10s".
func ParseDuration(s string) (Duration, error) {
	m := durationRE.FindStringSubmatch(s)
	if m == nil {
		return Duration{}, fmt.Errorf("bad duration %q: want a whole number and a unit s, m, h or d (e.g. 5m, 1h, 30d)", s)
	}
	n, _ := strconv.Atoi(m[1])
	return Duration{N: n, Unit: durationUnits[m[2]]}, nil
}

func (d *Duration) decodeNode(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a duration such as 5m, 1h or 30d, not %s", kindName(n))
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Length is the duration as a time.Duration.
func (d Duration) Length() time.Duration { return time.Duration(d.N) * unitLength[d.Unit] }

// String writes the duration back as in the file ("30d").
func (d Duration) String() string { return strconv.Itoa(d.N) + d.Unit[:1] }

// Parse reads a seed file. name is used in error messages, which name the
// line of each problem (*LineError).
func Parse(name string, data []byte) (*File, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &LineError{File: name, Line: extra.Line, Msg: "a seed file holds one YAML document"}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, &LineError{File: name, Line: 1, Msg: "empty seed file: want a mapping with a pools list"}
	}
	d := &decoder{file: name}
	var f File
	if err := d.decode(doc.Content[0], reflect.ValueOf(&f).Elem(), "seed file"); err != nil {
		return nil, err
	}
	if err := f.check(name); err != nil {
		return nil, err
	}
	return &f, nil
}

var (
	poolIDRE   = regexp.MustCompile(`^[\w-]+_[0-9a-zA-Z]+$`)
	clientIDRE = regexp.MustCompile(`^[\w+]{1,128}$`)
	secretRE   = regexp.MustCompile(`^[\w+=,.@-]{24,64}$`)
)

// check finds what the types alone cannot: duplicates, malformed ids,
// settings that exclude each other.
func (f *File) check(name string) error {
	bad := func(line int, format string, args ...any) error {
		return &LineError{File: name, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	names, ids := map[string]int{}, map[string]int{}
	for _, p := range f.Pools {
		if l, dup := names[p.Name]; dup {
			return bad(p.Line, "pool %q: a pool of that name is already defined at line %d", p.Name, l)
		}
		names[p.Name] = p.Line
		if p.ID != "" {
			if !poolIDRE.MatchString(p.ID) || len(p.ID) > 55 {
				return bad(p.Line, "pool %q: id %q is not a user pool id (<region>_<letters and digits>)", p.Name, p.ID)
			}
			if l, dup := ids[p.ID]; dup {
				return bad(p.Line, "pool %q: id %s is already used at line %d", p.Name, p.ID, l)
			}
			ids[p.ID] = p.Line
		}
		clients := map[string]int{}
		for _, c := range p.Clients {
			if l, dup := clients[c.Name]; dup {
				return bad(c.Line, "client %q: a client of that name is already defined at line %d", c.Name, l)
			}
			clients[c.Name] = c.Line
			if c.ID != "" && !clientIDRE.MatchString(c.ID) {
				return bad(c.Line, "client %q: id %q is not a client id (1 to 128 letters, digits, _ or +)", c.Name, c.ID)
			}
			if c.Secret != "" && !secretRE.MatchString(c.Secret) {
				return bad(c.Line, "client %q: the secret must be 24 to 64 characters of letters, digits and +=,.@-_", c.Name)
			}
			if c.Secret != "" && c.GenerateSecret != nil && !*c.GenerateSecret {
				return bad(c.Line, "client %q: a secret with generateSecret: false", c.Name)
			}
		}
		groups := map[string]bool{}
		for _, g := range p.Groups {
			if groups[g.Name] {
				return bad(g.Line, "group %q is defined twice", g.Name)
			}
			groups[g.Name] = true
		}
		users := map[string]int{}
		for _, u := range p.Users {
			if l, dup := users[u.Username]; dup {
				return bad(u.Line, "user %q: a user of that name is already defined at line %d", u.Username, l)
			}
			users[u.Username] = u.Line
			if u.Password == "" && (u.TemporaryPassword || u.ResetPassword) {
				return bad(u.Line, "user %q: temporaryPassword and resetPassword need a password", u.Username)
			}
			if u.Confirmed != nil && !*u.Confirmed {
				if u.Password == "" || u.TemporaryPassword {
					return bad(u.Line, "user %q: an unconfirmed user signs up, with a (permanent) password", u.Username)
				}
				if len(p.Clients) == 0 {
					return bad(u.Line, "user %q: an unconfirmed user signs up through an app client: the pool has none", u.Username)
				}
			}
			for _, g := range u.Groups {
				if !groups[g] {
					return bad(u.Line, "user %q: group %q is not in the pool's groups", u.Username, g)
				}
			}
		}
	}
	return nil
}
