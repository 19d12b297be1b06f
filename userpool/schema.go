package userpool

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

// This file is Cognito's user-pool attribute schema as pure functions: the
// standard attributes a new pool reports (StandardSchema), the Schema of
// CreateUserPool (BuildSchema), the AddCustomAttributes operation
// (AddCustomAttributes), and the checks every write of user attributes goes
// through (CheckAttributes, MissingRequired).
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
// write. Message is Cognito's text. Cognito answers InvalidParameterException
// unless Unauthorized is set, in which case it answers
// NotAuthorizedException (a write of a developer-only attribute with the
// user's own credentials).
type SchemaError struct {
	Message      string
	Unauthorized bool
}

func (e *SchemaError) Error() string { return e.Message }

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
type schValidation []string

func (v *schValidation) add(value, member, rule string) {
	*v = append(*v, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member %s", value, member, rule))
}

func (v *schValidation) addHidden(member, rule string) {
	*v = append(*v, fmt.Sprintf("Value at '%s' failed to satisfy constraint: Member %s", member, rule))
}

func (v schValidation) err() *SchemaError {
	switch len(v) {
	case 0:
		return nil
	case 1:
		return schErr("1 validation error detected: %s", v[0])
	}
	return schErr("%d validation errors detected: %s", len(v), strings.Join(v, "; "))
}

const schNamePattern = `[\p{L}\p{M}\p{S}\p{N}\p{P}]+`

var schNameRE = regexp.MustCompile(`^` + schNamePattern + `$`)

// schCheckModel applies the model's constraints on a Schema or
// CustomAttributes list (member is "schema" or "customAttributes").
func schCheckModel(list []SchemaAttribute, member string, maxItems int) *SchemaError {
	var v schValidation
	if len(list) < 1 {
		v.addHidden(member, "must have length greater than or equal to 1")
	}
	if len(list) > maxItems {
		v.addHidden(member, fmt.Sprintf("must have length less than or equal to %d", maxItems))
	}
	for i, a := range list {
		at := fmt.Sprintf("%s.%d.member.", member, i+1)
		n := utf8.RuneCountInString(a.Name)
		if n < 1 {
			v.add(a.Name, at+"name", "must have length greater than or equal to 1")
		}
		if n > MaxCustomAttributeNameLength {
			v.add(a.Name, at+"name", fmt.Sprintf("must have length less than or equal to %d", MaxCustomAttributeNameLength))
		}
		if !schNameRE.MatchString(a.Name) {
			v.add(a.Name, at+"name", "must satisfy regular expression pattern: "+schNamePattern)
		}
		switch a.AttributeDataType {
		case "", AttributeTypeString, AttributeTypeNumber, AttributeTypeDateTime, AttributeTypeBoolean:
		default:
			v.add(a.AttributeDataType, at+"attributeDataType", "must satisfy enum value set: [Boolean, Number, String, DateTime]")
		}
	}
	return v.err()
}

// BuildSchema is the schema of a pool that CreateUserPool creates with the
// Schema declared: the standard attributes, as redeclared, then the custom
// attributes in the order declared, as DescribeUserPool reports them.
//
// A declaration naming a standard attribute redeclares it: it may set
// Required and Mutable (each false where the declaration leaves it out, as
// Cognito does: a pool declaring {"Name":"email","Required":true} holds an
// immutable email) and the constraints; it may not change the data type or
// make the attribute developer-only. Any other name declares a custom
// attribute, held as custom:<name> (dev:custom:<name> when
// DeveloperOnlyAttribute is set), never required.
//
// usernameAttributes (the pool's UsernameAttributes) does not change the
// schema Cognito reports; it is taken so the caller need not know that.
func BuildSchema(declared []SchemaAttribute, usernameAttributes []string) ([]SchemaAttribute, error) {
	schema := StandardSchema()
	if len(declared) == 0 {
		return schema, nil
	}
	if err := schCheckModel(declared, "schema", MaxSchemaAttributes); err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(declared))
	var custom []SchemaAttribute
	for _, d := range declared {
		if i := schStandardIndex(d.Name); i >= 0 {
			if seen[d.Name] {
				return nil, schDuplicate(d.Name, d.Name)
			}
			seen[d.Name] = true
			a, err := schRedeclare(schema[i], d)
			if err != nil {
				return nil, err
			}
			schema[i] = a
			continue
		}
		a, err := schCustom(d)
		if err != nil {
			return nil, err
		}
		if seen[a.Name] {
			return nil, schDuplicate(CustomAttributePrefix+d.Name, a.Name)
		}
		seen[a.Name] = true
		custom = append(custom, a)
	}
	if len(custom) > MaxCustomAttributes {
		return nil, schTooMany()
	}
	return append(schema, custom...), nil
}

// AddCustomAttributes is the schema after the AddCustomAttributes operation
// adds the attributes given: each is a custom attribute (a standard
// attribute's name too: "email" adds custom:email), none may have the name
// of an attribute the pool holds, and the pool holds at most
// MaxCustomAttributes of them. schema is not modified.
func AddCustomAttributes(schema []SchemaAttribute, add []SchemaAttribute) ([]SchemaAttribute, error) {
	if err := schCheckModel(add, "customAttributes", MaxAddCustomAttributes); err != nil {
		return nil, err
	}
	held := make(map[string]bool, len(schema)+len(add))
	customs := 0
	for _, a := range schema {
		held[a.Name] = true
		if a.IsCustom() {
			customs++
		}
	}
	out := schCloneAll(schema)
	for _, d := range add {
		a, err := schCustom(d)
		if err != nil {
			return nil, err
		}
		if held[a.Name] {
			return nil, schDuplicate(CustomAttributePrefix+d.Name, a.Name)
		}
		held[a.Name] = true
		out = append(out, a)
		customs++
	}
	if customs > MaxCustomAttributes {
		return nil, schTooMany()
	}
	return out, nil
}

func schDuplicate(declared, name string) *SchemaError {
	return schErr("%s: Existing attribute already has name %s.", declared, name)
}

func schTooMany() *SchemaError {
	return schErr("The number of custom attributes exceeds the limit of %d.", MaxCustomAttributes)
}

// schRedeclare applies a declaration to the standard attribute std.
func schRedeclare(std, d SchemaAttribute) (SchemaAttribute, error) {
	if (d.AttributeDataType != "" && d.AttributeDataType != std.AttributeDataType) || schIs(d.DeveloperOnlyAttribute) {
		return std, schErr("You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute %s", std.Name)
	}
	if std.Name == "sub" {
		// sub is Cognito's identifier of the user: always required and
		// never writable, whatever a declaration says of it.
		if schIs(d.Mutable) {
			return std, schErr("You can not change Mutable for standard schema attribute sub")
		}
		return std, nil
	}
	a := std.clone()
	a.Mutable = schBool(schIs(d.Mutable))
	a.Required = schBool(schIs(d.Required))
	if err := schConstraints(&a, d); err != nil {
		return std, err
	}
	return a, nil
}

// schCustom makes the custom attribute a declaration declares.
func schCustom(d SchemaAttribute) (SchemaAttribute, error) {
	a := SchemaAttribute{
		Name:                   CustomAttributePrefix + d.Name,
		AttributeDataType:      d.AttributeDataType,
		DeveloperOnlyAttribute: schBool(schIs(d.DeveloperOnlyAttribute)),
		Mutable:                schBool(schIs(d.Mutable)),
		Required:               schBool(false),
	}
	if schIs(d.DeveloperOnlyAttribute) {
		a.Name = DeveloperAttributePrefix + a.Name
	}
	if d.AttributeDataType == "" {
		return a, schErr("Invalid AttributeDataType input, consider using the provided AttributeDataType enum.")
	}
	if schIs(d.Required) {
		return a, schErr("Required custom attributes are not supported currently.")
	}
	switch a.AttributeDataType {
	case AttributeTypeString:
		a.StringAttributeConstraints = &StringAttributeConstraints{}
	case AttributeTypeNumber:
		a.NumberAttributeConstraints = &NumberAttributeConstraints{}
	}
	if err := schConstraints(&a, d); err != nil {
		return a, err
	}
	return a, nil
}

// schConstraints validates the constraints d declares for a's data type and
// sets them on a. Constraints of another type are dropped, as Cognito does.
func schConstraints(a *SchemaAttribute, d SchemaAttribute) error {
	switch a.AttributeDataType {
	case AttributeTypeString:
		c := d.StringAttributeConstraints
		if c == nil {
			return nil
		}
		minLen, minOK := schLimit(c.MinLength)
		maxLen, maxOK := schLimit(c.MaxLength)
		if !minOK || !maxOK || (minLen != nil && minLen.Sign() < 0) || (maxLen != nil && maxLen.Sign() < 0) {
			return schErr("Invalid StringAttributeConstraints for schema attribute %s", a.Name)
		}
		limit := big.NewInt(MaxStringAttributeLength)
		if (minLen != nil && minLen.Cmp(limit) > 0) || (maxLen != nil && maxLen.Cmp(limit) > 0) {
			return schErr("user.%s: String attributes cannot have a length of more than %d", a.Name, MaxStringAttributeLength)
		}
		if minLen != nil && maxLen != nil && minLen.Cmp(maxLen) > 0 {
			return schErr("user.%s: Max length cannot be less than min length.", a.Name)
		}
		a.StringAttributeConstraints = &StringAttributeConstraints{MinLength: schNorm(minLen), MaxLength: schNorm(maxLen)}
	case AttributeTypeNumber:
		c := d.NumberAttributeConstraints
		if c == nil {
			return nil
		}
		minVal, minOK := schLimit(c.MinValue)
		maxVal, maxOK := schLimit(c.MaxValue)
		if !minOK || !maxOK {
			return schErr("Invalid NumberAttributeConstraints for schema attribute %s", a.Name)
		}
		if minVal != nil && maxVal != nil && minVal.Cmp(maxVal) > 0 {
			return schErr("user.%s: Max value cannot be less than min value.", a.Name)
		}
		a.NumberAttributeConstraints = &NumberAttributeConstraints{MinValue: schNorm(minVal), MaxValue: schNorm(maxVal)}
	}
	return nil
}

// schLimit parses a constraint bound: absent (nil or ""), or an integer.
func schLimit(s *string) (*big.Int, bool) {
	if s == nil || *s == "" {
		return nil, true
	}
	if !schIntRE.MatchString(*s) {
		return nil, false
	}
	n, ok := new(big.Int).SetString(*s, 10)
	return n, ok
}

var schIntRE = regexp.MustCompile(`^[+-]?[0-9]{1,400}$`)

func schNorm(n *big.Int) *string {
	if n == nil {
		return nil
	}
	return schStr(n.String())
}

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
