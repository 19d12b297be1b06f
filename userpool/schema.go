package userpool

import (
	"fmt"
	"strings"
)

// This file is Cognito's user-pool attribute schema as pure functions: the
// standard attributes a new pool reports (StandardSchema), the Schema of
// CreateUserPool (BuildSchema), the AddCustomAttributes operation
// (AddCustomAttributes), and the checks every write of user attributes goes
// through (CheckAttributes, MissingRequired). This file holds the types,
// the standard attributes and the helpers the others share; declaring a
// schema is in schemadeclare.go, checking attributes in schemacheck.go.
//
// Refusals are *SchemaError values whose Message is the text Cognito
// answers with, newlines included: Cognito ends each line of an attribute
// refusal with "\n" (an unknown attribute at SignUp reads
// "Attributes did not conform to the schema: phone: Attribute does not
// exist in the schema.\n") and lists every offending attribute, one a line.

// Attribute data types (SchemaAttributeType.AttributeDataType).
const (
	AttributeTypeString   = "String"
	AttributeTypeNumber   = "Number"
	AttributeTypeDateTime = "DateTime"
	AttributeTypeBoolean  = "Boolean"
)

// Limits of the attribute schema.
const (
	// MaxCustomAttributes is how many custom (and developer-only)
	// attributes a pool holds (Cognito quota, not adjustable).
	MaxCustomAttributes = 50
	// MaxCustomAttributeNameLength is the length of a declared name
	// (CustomAttributeNameType: 1 to 20 characters).
	MaxCustomAttributeNameLength = 20
	// MaxSchemaAttributes is how many entries CreateUserPool's Schema takes
	// (SchemaAttributesListType: 1 to 50).
	MaxSchemaAttributes = 50
	// MaxAddCustomAttributes is how many entries one AddCustomAttributes
	// call takes (CustomAttributesListType: 1 to 25).
	MaxAddCustomAttributes = 25
	// MaxStringAttributeLength is the largest MaxLength a String attribute
	// may declare, and the length of any attribute value.
	MaxStringAttributeLength = 2048
)

// Prefixes of the attributes a pool declares for itself.
const (
	CustomAttributePrefix    = "custom:"
	DeveloperAttributePrefix = "dev:"
)

// SchemaAttribute is one attribute of a pool's schema (Cognito's
// SchemaAttributeType): as CreateUserPool's Schema and AddCustomAttributes
// declare it, and as DescribeUserPool's SchemaAttributes report it.
type SchemaAttribute struct {
	Name                       string                      `json:"Name,omitempty"`
	AttributeDataType          string                      `json:"AttributeDataType,omitempty"` // String, Number, DateTime or Boolean
	DeveloperOnlyAttribute     *bool                       `json:"DeveloperOnlyAttribute,omitempty"`
	Mutable                    *bool                       `json:"Mutable,omitempty"`
	Required                   *bool                       `json:"Required,omitempty"`
	NumberAttributeConstraints *NumberAttributeConstraints `json:"NumberAttributeConstraints,omitempty"`
	StringAttributeConstraints *StringAttributeConstraints `json:"StringAttributeConstraints,omitempty"`
}

// NumberAttributeConstraints bounds the values of a Number attribute.
// Cognito sends the bounds as strings.
type NumberAttributeConstraints struct {
	MinValue *string `json:"MinValue,omitempty"`
	MaxValue *string `json:"MaxValue,omitempty"`
}

// StringAttributeConstraints bounds the length of a String attribute's
// values. Cognito sends the bounds as strings.
type StringAttributeConstraints struct {
	MinLength *string `json:"MinLength,omitempty"`
	MaxLength *string `json:"MaxLength,omitempty"`
}

// IsCustom reports whether the attribute is one the pool declared for
// itself (custom: or dev:custom:) rather than a standard one.
func (a SchemaAttribute) IsCustom() bool { return IsCustomAttributeName(a.Name) }

// IsCustomAttributeName reports whether name is that of a custom or
// developer-only attribute.
func IsCustomAttributeName(name string) bool {
	return strings.HasPrefix(name, CustomAttributePrefix) || strings.HasPrefix(name, DeveloperAttributePrefix)
}

// SchemaError is a refusal of a schema declaration or of an attribute
// write. Message is Cognito's text, or Violations the API model's member
// constraints the declaration breaks (which the wire renders in its own
// phrasing). Cognito answers InvalidParameterException unless Unauthorized
// is set, in which case it answers NotAuthorizedException (a write of a
// developer-only attribute with the user's own credentials).
type SchemaError struct {
	Message      string
	Violations   []Violation
	Unauthorized bool
}

func (e *SchemaError) Error() string {
	if e.Message == "" && len(e.Violations) > 0 {
		return violationsText(e.Violations)
	}
	return e.Message
}

func schErr(format string, args ...any) *SchemaError {
	return &SchemaError{Message: fmt.Sprintf(format, args...)}
}

// StandardSchema is the schema of a new pool: the standard attributes in the
// order, and with the properties, DescribeUserPool reports them. Each call
// returns a fresh copy.
func StandardSchema() []SchemaAttribute {
	s := make([]SchemaAttribute, len(schStandard))
	for i, a := range schStandard {
		s[i] = a.clone()
	}
	return s
}

var schStandard = []SchemaAttribute{
	schString("sub", false, true, "1", "2048"),
	schString("name", true, false, "0", "2048"),
	schString("given_name", true, false, "0", "2048"),
	schString("family_name", true, false, "0", "2048"),
	schString("middle_name", true, false, "0", "2048"),
	schString("nickname", true, false, "0", "2048"),
	schString("preferred_username", true, false, "0", "2048"),
	schString("profile", true, false, "0", "2048"),
	schString("picture", true, false, "0", "2048"),
	schString("website", true, false, "0", "2048"),
	schString("email", true, false, "0", "2048"),
	schTyped("email_verified", AttributeTypeBoolean),
	schString("gender", true, false, "0", "2048"),
	schString("birthdate", true, false, "10", "10"),
	schString("zoneinfo", true, false, "0", "2048"),
	schString("locale", true, false, "0", "2048"),
	schString("phone_number", true, false, "0", "2048"),
	schTyped("phone_number_verified", AttributeTypeBoolean),
	schString("address", true, false, "0", "2048"),
	func() SchemaAttribute {
		a := schTyped("updated_at", AttributeTypeNumber)
		a.NumberAttributeConstraints = &NumberAttributeConstraints{MinValue: schStr("0")}
		return a
	}(),
}

func schString(name string, mutable, required bool, minLen, maxLen string) SchemaAttribute {
	return SchemaAttribute{
		Name: name, AttributeDataType: AttributeTypeString,
		DeveloperOnlyAttribute: schBool(false), Mutable: schBool(mutable), Required: schBool(required),
		StringAttributeConstraints: &StringAttributeConstraints{MinLength: schStr(minLen), MaxLength: schStr(maxLen)},
	}
}

func schTyped(name, typ string) SchemaAttribute {
	return SchemaAttribute{Name: name, AttributeDataType: typ,
		DeveloperOnlyAttribute: schBool(false), Mutable: schBool(true), Required: schBool(false)}
}

func schBool(b bool) *bool    { return &b }
func schStr(s string) *string { return &s }
func schIs(b *bool) bool      { return b != nil && *b }

func schOrEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (a SchemaAttribute) clone() SchemaAttribute {
	c := a
	c.DeveloperOnlyAttribute = schCloneBool(a.DeveloperOnlyAttribute)
	c.Mutable = schCloneBool(a.Mutable)
	c.Required = schCloneBool(a.Required)
	if a.NumberAttributeConstraints != nil {
		c.NumberAttributeConstraints = &NumberAttributeConstraints{
			MinValue: schCloneStr(a.NumberAttributeConstraints.MinValue),
			MaxValue: schCloneStr(a.NumberAttributeConstraints.MaxValue),
		}
	}
	if a.StringAttributeConstraints != nil {
		c.StringAttributeConstraints = &StringAttributeConstraints{
			MinLength: schCloneStr(a.StringAttributeConstraints.MinLength),
			MaxLength: schCloneStr(a.StringAttributeConstraints.MaxLength),
		}
	}
	return c
}

func schCloneBool(b *bool) *bool {
	if b == nil {
		return nil
	}
	return schBool(*b)
}

func schCloneStr(s *string) *string {
	if s == nil {
		return nil
	}
	return schStr(*s)
}

func schCloneAll(s []SchemaAttribute) []SchemaAttribute {
	out := make([]SchemaAttribute, len(s))
	for i, a := range s {
		out[i] = a.clone()
	}
	return out
}

// schStandardIndex finds a standard attribute that a Schema may redeclare.
// email_verified and phone_number_verified are not among them: Cognito
// takes a declaration of either as a custom attribute (and
// phone_number_verified, 21 characters, fails the name's length limit).
func schStandardIndex(name string) int {
	if name == "email_verified" || name == "phone_number_verified" {
		return -1
	}
	for i, a := range schStandard {
		if a.Name == name {
			return i
		}
	}
	return -1
}

// schValidation collects violations of the API model's member constraints,
// which Cognito reports all together before it looks at anything else.
type schValidation []Violation

// add notes a violation whose value is shown back.
func (v *schValidation) add(value string, vi Violation) {
	vi.Value, vi.Shown = value, true
	*v = append(*v, vi)
}

// addHidden notes a violation of a list (its value is not shown).
func (v *schValidation) addHidden(vi Violation) { *v = append(*v, vi) }

func (v schValidation) err() *SchemaError {
	if len(v) == 0 {
		return nil
	}
	return &SchemaError{Violations: v}
}
