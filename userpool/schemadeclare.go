package userpool

// Declaring a pool's schema (see schema.go for the types and the standard
// attributes): the API model's constraints on a Schema or CustomAttributes
// list, CreateUserPool's Schema (BuildSchema) and the AddCustomAttributes
// operation (AddCustomAttributes), with their number and length bounds.

import (
	"fmt"
	"math/big"
	"regexp"
	"unicode/utf8"
)

const schNamePattern = `[\p{L}\p{M}\p{S}\p{N}\p{P}]+`

var schNameRE = regexp.MustCompile(`^` + schNamePattern + `$`)

// schDataTypes are the data types in the order the model's enum lists them.
var schDataTypes = []string{AttributeTypeBoolean, AttributeTypeNumber, AttributeTypeString, AttributeTypeDateTime}

// schCheckModel applies the model's constraints on a Schema or
// CustomAttributes list (member is "schema" or "customAttributes").
func schCheckModel(list []SchemaAttribute, member string, maxItems int) *SchemaError {
	var v schValidation
	if len(list) < 1 {
		v.addHidden(Violation{Member: member, Rule: RuleMinLength, Min: 1})
	}
	if len(list) > maxItems {
		v.addHidden(Violation{Member: member, Rule: RuleMaxLength, Max: maxItems})
	}
	for i, a := range list {
		at := fmt.Sprintf("%s.%d.member.", member, i+1)
		n := utf8.RuneCountInString(a.Name)
		if n < 1 {
			v.add(a.Name, Violation{Member: at + "name", Rule: RuleMinLength, Min: 1})
		}
		if n > MaxCustomAttributeNameLength {
			v.add(a.Name, Violation{Member: at + "name", Rule: RuleMaxLength, Max: MaxCustomAttributeNameLength})
		}
		if !schNameRE.MatchString(a.Name) {
			v.add(a.Name, Violation{Member: at + "name", Rule: RulePattern, Pattern: schNamePattern})
		}
		switch a.AttributeDataType {
		case "", AttributeTypeString, AttributeTypeNumber, AttributeTypeDateTime, AttributeTypeBoolean:
		default:
			v.add(a.AttributeDataType, Violation{Member: at + "attributeDataType", Rule: RuleEnum, Values: schDataTypes})
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
