package userpool

// Checking user attributes against a pool's schema (see schema.go for the
// types): CheckAttributes, which every write of user attributes goes
// through, MissingRequired, and the format checks of phone numbers, e-mail
// addresses and dates.

import (
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// CheckMode says which operation writes the attributes CheckAttributes
// checks. Or CheckByUser into it when the call is made with the user's own
// or the app client's credentials rather than IAM credentials.
type CheckMode uint8

// Check modes.
const (
	CheckCreate CheckMode = 1 // SignUp, AdminCreateUser: a new user's attributes
	CheckUpdate CheckMode = 2 // UpdateUserAttributes, AdminUpdateUserAttributes
	CheckDelete CheckMode = 3 // DeleteUserAttributes, AdminDeleteUserAttributes: only the names count
	// CheckByUser marks SignUp, UpdateUserAttributes and
	// DeleteUserAttributes, which may not write developer-only attributes.
	CheckByUser CheckMode = 0x10
)

func (m CheckMode) op() CheckMode { return m &^ CheckByUser }

// CheckAttributes checks a write of user attributes against the pool's
// schema, the way Cognito does for mode, and returns nil or a *SchemaError.
//
// In the order Cognito's answers suggest: a developer-only attribute
// written with the user's credentials is refused (NotAuthorizedException);
// then every attribute that breaks the schema is listed in one message (an
// attribute the schema does not hold, sub, an immutable attribute after
// creation, a required attribute deleted or set to "", a value of the
// wrong type or out of its constraints); then email and phone_number
// values must be well formed. An empty value is no value: it deletes the
// attribute on update and is not checked against the type.
//
// A new user's attributes are reported as
// "Attributes did not conform to the schema: <name>: <reason>\n...",
// an existing user's as "user.<name>: <reason>\n...", names in order.
func CheckAttributes(schema []SchemaAttribute, attrs map[string]string, mode CheckMode) error {
	byName := make(map[string]*SchemaAttribute, len(schema))
	for i := range schema {
		byName[schema[i].Name] = &schema[i]
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)

	op := mode.op()
	if mode&CheckByUser != 0 {
		for _, n := range names {
			if a := byName[n]; a != nil && schIs(a.DeveloperOnlyAttribute) {
				return &SchemaError{Message: "A client attempted to write unauthorized attribute", Unauthorized: true}
			}
		}
	}

	var problems []string
	for _, n := range names {
		if reason := schProblem(byName[n], n, attrs[n], op); reason != "" {
			problems = append(problems, n+": "+reason)
		}
	}
	if len(problems) > 0 {
		var b strings.Builder
		if op == CheckCreate {
			b.WriteString("Attributes did not conform to the schema: ")
		}
		for _, p := range problems {
			if op != CheckCreate {
				b.WriteString("user.")
			}
			b.WriteString(p)
			b.WriteByte('\n')
		}
		return &SchemaError{Message: b.String()}
	}

	if op == CheckDelete {
		return nil
	}
	if v := attrs["email"]; v != "" && byName["email"] != nil && !ValidEmail(v) {
		return schErr("Invalid email address format.")
	}
	if v := attrs["phone_number"]; v != "" && byName["phone_number"] != nil && !ValidPhoneNumber(v) {
		return schErr("Invalid phone number format.")
	}
	return nil
}

// schProblem is what is wrong with writing value to the attribute a (nil:
// not in the schema) named name, or "".
func schProblem(a *SchemaAttribute, name, value string, op CheckMode) string {
	switch {
	case a == nil:
		return "Attribute does not exist in the schema."
	case name == "sub":
		return "Attribute cannot be updated."
	}
	switch op {
	case CheckDelete:
		if schIs(a.Required) {
			return "Required attribute cannot be deleted."
		}
		if !schIs(a.Mutable) {
			return "Attribute cannot be updated."
		}
		return ""
	case CheckUpdate:
		if !schIs(a.Mutable) {
			return "Attribute cannot be updated."
		}
		if value == "" && schIs(a.Required) {
			return "Required attribute cannot be deleted."
		}
	}
	if value == "" {
		return ""
	}
	return schValueProblem(*a, value)
}

// schValueProblem is what is wrong with value as a value of a, or "".
func schValueProblem(a SchemaAttribute, value string) string {
	switch a.AttributeDataType {
	case AttributeTypeString:
		n := utf8.RuneCountInString(value)
		minLen, maxLen := int64(0), int64(MaxStringAttributeLength)
		if c := a.StringAttributeConstraints; c != nil {
			if v, err := strconv.ParseInt(schOrEmpty(c.MinLength), 10, 64); err == nil {
				minLen = v
			}
			if v, err := strconv.ParseInt(schOrEmpty(c.MaxLength), 10, 64); err == nil {
				maxLen = v
			}
		}
		if int64(n) < minLen {
			return fmt.Sprintf("String must be no shorter than %d characters", minLen)
		}
		if int64(n) > maxLen {
			return fmt.Sprintf("String must be no longer than %d characters", maxLen)
		}
	case AttributeTypeNumber:
		v, ok := schNumber(value)
		if !ok {
			return "Value must be a Number"
		}
		if c := a.NumberAttributeConstraints; c != nil {
			if lo, ok := schNumber(schOrEmpty(c.MinValue)); ok && v.Cmp(lo) < 0 {
				return "Number must be no less than " + schOrEmpty(c.MinValue)
			}
			if hi, ok := schNumber(schOrEmpty(c.MaxValue)); ok && v.Cmp(hi) > 0 {
				return "Number must be no greater than " + schOrEmpty(c.MaxValue)
			}
		}
	case AttributeTypeBoolean:
		if !strings.EqualFold(value, "true") && !strings.EqualFold(value, "false") {
			return "Value must be a Boolean"
		}
	case AttributeTypeDateTime:
		if !ValidDateTime(value) {
			return "Value must be a DateTime"
		}
	}
	return ""
}

var schNumberRE = regexp.MustCompile(`^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$`)

func schNumber(s string) (*big.Rat, bool) {
	if len(s) > 400 || !schNumberRE.MatchString(s) {
		return nil, false
	}
	return new(big.Rat).SetString(strings.TrimPrefix(s, "+"))
}

// MissingRequired is the names of the attributes the schema requires that
// attrs has no value for (absent or ""), in schema order. sub is never
// among them: Cognito assigns it. SignUp refuses a user without them; see
// MissingRequiredError.
func MissingRequired(schema []SchemaAttribute, attrs map[string]string) []string {
	var missing []string
	for _, a := range schema {
		if a.Name == "sub" || !schIs(a.Required) {
			continue
		}
		if attrs[a.Name] == "" {
			missing = append(missing, a.Name)
		}
	}
	return missing
}

// MissingRequiredError is Cognito's refusal of a new user without the
// required attributes named, or nil when there are none:
// "Attributes did not conform to the schema: <name>: The attribute is required\n".
func MissingRequiredError(missing []string) error {
	if len(missing) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("Attributes did not conform to the schema: ")
	for _, n := range missing {
		b.WriteString(n)
		b.WriteString(": The attribute is required\n")
	}
	return &SchemaError{Message: b.String()}
}

// ValidPhoneNumber reports whether s is a phone number in E.164 form, as
// Cognito takes it: a plus sign, then 1 to 15 digits, the first not 0.
func ValidPhoneNumber(s string) bool {
	if len(s) < 2 || len(s) > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9' {
		return false
	}
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ValidEmail reports whether s has the form of an e-mail address: one @
// between a local part and a domain, neither empty, of letters, marks,
// symbols, digits and punctuation only (no spaces or control characters).
func ValidEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.IndexByte(s[at+1:], '@') >= 0 || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.In(r, unicode.L, unicode.M, unicode.S, unicode.N, unicode.P) {
			return false
		}
	}
	return true
}

// ValidDateTime reports whether s is an ISO 8601 date or date and time:
// 2006-01-02, or RFC 3339 with or without a zone and fractional seconds.
func ValidDateTime(s string) bool {
	for _, layout := range []string{"2006-01-02", time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}
