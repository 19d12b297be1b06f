package userpool

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// The SchemaAttributes of a new pool as DescribeUserPool returns them (the
// same list, order and values as the DescribeUserPool example of the API
// reference and as real responses quoted in aws/aws-cli#3162,
// getmoto/moto#5965 and aws-amplify/amplify-js#10491).
const schemaStandardJSON = `[` +
	`{"Name":"sub","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":false,"Required":true,"StringAttributeConstraints":{"MinLength":"1","MaxLength":"2048"}},` +
	`{"Name":"name","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"StringAttributeConstraints":{"MinLength":"0","MaxLength":"2048"}},` +
	`{"Name":"given_name","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"StringAttributeConstraints":{"MinLength":"0","MaxLength":"2048"}},` +
	`{"Name":"family_name","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"StringAttributeConstraints":{"MinLength":"0","MaxLength":"2048"}},` +
	`{"Name":"middle_name","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"StringAttributeConstraints":{"MinLength":"0","MaxLength":"2048"}},` +
	`{"Name":"nickname","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"StringAttributeConstraints":{"MinLength":"0","MaxLength":"2048"}},` +
	`{"Name":"preferred_username","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"StringAttributeConstraints":{"MinLength":"0","MaxLength":"2048"}},` +
	`{"Name":"profile","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"StringAttributeConstraints":{"MinLength":"0","MaxLength":"2048"}},` +
	`{"Name":"picture","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"StringAttributeConstraints":{"MinLength":"0","MaxLength":"2048"}},` +
	`{"Name":"website","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"StringAttributeConstraints":{"MinLength":"0","MaxLength":"2048"}},` +
	`{"Name":"email","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"StringAttributeConstraints":{"MinLength":"0","MaxLength":"2048"}},` +
	`{"Name":"email_verified","AttributeDataType":"Boolean","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false},` +
	`{"Name":"gender","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"StringAttributeConstraints":{"MinLength":"0","MaxLength":"2048"}},` +
	`{"Name":"birthdate","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"StringAttributeConstraints":{"MinLength":"10","MaxLength":"10"}},` +
	`{"Name":"zoneinfo","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"StringAttributeConstraints":{"MinLength":"0","MaxLength":"2048"}},` +
	`{"Name":"locale","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"StringAttributeConstraints":{"MinLength":"0","MaxLength":"2048"}},` +
	`{"Name":"phone_number","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"StringAttributeConstraints":{"MinLength":"0","MaxLength":"2048"}},` +
	`{"Name":"phone_number_verified","AttributeDataType":"Boolean","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false},` +
	`{"Name":"address","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"StringAttributeConstraints":{"MinLength":"0","MaxLength":"2048"}},` +
	`{"Name":"updated_at","AttributeDataType":"Number","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"NumberAttributeConstraints":{"MinValue":"0"}}` +
	`]`

func schemaJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSchemaStandard(t *testing.T) {
	s := StandardSchema()
	if got := schemaJSON(t, s); got != schemaStandardJSON {
		t.Fatalf("StandardSchema:\n got %s\nwant %s", got, schemaStandardJSON)
	}
	want := []string{"sub", "name", "given_name", "family_name", "middle_name", "nickname",
		"preferred_username", "profile", "picture", "website", "email", "email_verified", "gender",
		"birthdate", "zoneinfo", "locale", "phone_number", "phone_number_verified", "address", "updated_at"}
	if len(s) != len(want) {
		t.Fatalf("%d attributes, want %d", len(s), len(want))
	}
	for i, a := range s {
		if a.Name != want[i] || a.IsCustom() {
			t.Errorf("attribute %d = %q (custom %v), want standard %q", i, a.Name, a.IsCustom(), want[i])
		}
	}

	// Each call is a fresh copy: a caller's edits do not leak.
	*s[0].Mutable = true
	*s[1].StringAttributeConstraints.MaxLength = "1"
	s[2].Name = "x"
	if got := schemaJSON(t, StandardSchema()); got != schemaStandardJSON {
		t.Fatalf("StandardSchema changed by a caller's edit:\n%s", got)
	}

	// Decoding what DescribeUserPool sent gives the same schema back.
	var round []SchemaAttribute
	if err := json.Unmarshal([]byte(schemaStandardJSON), &round); err != nil {
		t.Fatal(err)
	}
	if got := schemaJSON(t, round); got != schemaStandardJSON {
		t.Fatalf("round trip: %s", got)
	}
}

func schemaFind(s []SchemaAttribute, name string) *SchemaAttribute {
	for i := range s {
		if s[i].Name == name {
			return &s[i]
		}
	}
	return nil
}

func schemaErrText(err error) string {
	var se *SchemaError
	if !errors.As(err, &se) {
		return fmt.Sprintf("not a *SchemaError: %v", err)
	}
	if len(se.Violations) > 0 {
		if se.Message != "" {
			return "both a message and violations: " + se.Message
		}
		parts := make([]string, len(se.Violations))
		for i, v := range se.Violations {
			parts[i] = violationText(v)
		}
		return strings.Join(parts, "; ")
	}
	return se.Message
}

// violationText is a compact notation of a model violation for the tables
// below; the wire's wording of each is pinned by e2e (TestCognitoMessagesPinned).
func violationText(v Violation) string {
	at := "at " + v.Member
	if v.Shown {
		at = "'" + v.Value + "' " + at
	}
	switch v.Rule {
	case RuleMinLength:
		return fmt.Sprintf("%s: min length %d", at, v.Min)
	case RuleMaxLength:
		return fmt.Sprintf("%s: max length %d", at, v.Max)
	case RulePattern:
		return fmt.Sprintf("%s: pattern %s", at, v.Pattern)
	case RuleEnum:
		return fmt.Sprintf("%s: enum %v", at, v.Values)
	}
	return fmt.Sprintf("%s: rule %d", at, v.Rule)
}

func TestSchemaBuild(t *testing.T) {
	B, S := schBool, schStr
	str := func(min, max *string) *StringAttributeConstraints {
		return &StringAttributeConstraints{MinLength: min, MaxLength: max}
	}
	num := func(min, max *string) *NumberAttributeConstraints {
		return &NumberAttributeConstraints{MinValue: min, MaxValue: max}
	}
	many := func(n int) []SchemaAttribute {
		l := make([]SchemaAttribute, n)
		for i := range l {
			l[i] = SchemaAttribute{Name: fmt.Sprintf("a%d", i), AttributeDataType: "String"}
		}
		return l
	}
	tests := []struct {
		name     string
		declared []SchemaAttribute
		err      string
		// want is the JSON of the attributes named (each in turn), or of
		// the custom attributes appended after the standard ones.
		want   map[string]string
		custom string
	}{
		{name: "nothing declared", declared: nil, custom: `null`},
		{
			// A redeclaration leaving Mutable out makes the attribute
			// immutable, as Cognito does ({"Name":"email","Required":true}
			// gives an email federated sign-in can no longer update).
			name:     "required email",
			declared: []SchemaAttribute{{Name: "email", AttributeDataType: "String", Required: B(true)}},
			want: map[string]string{
				"email": `{"Name":"email","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":false,"Required":true,"StringAttributeConstraints":{"MinLength":"0","MaxLength":"2048"}}`,
				"name":  `{"Name":"name","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"StringAttributeConstraints":{"MinLength":"0","MaxLength":"2048"}}`,
			},
			custom: `null`,
		},
		{
			name:     "required mutable email, no data type",
			declared: []SchemaAttribute{{Name: "email", Required: B(true), Mutable: B(true)}},
			want: map[string]string{
				"email": `{"Name":"email","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":true,"Required":true,"StringAttributeConstraints":{"MinLength":"0","MaxLength":"2048"}}`,
			},
			custom: `null`,
		},
		{
			name: "standard constraints redeclared",
			declared: []SchemaAttribute{
				{Name: "given_name", AttributeDataType: "String", Mutable: B(true), Required: B(false), StringAttributeConstraints: str(S("0"), S("255"))},
				{Name: "name", AttributeDataType: "String", Mutable: B(true), Required: B(true), StringAttributeConstraints: str(S("1"), S("512"))},
				{Name: "updated_at", AttributeDataType: "Number", Mutable: B(true), NumberAttributeConstraints: num(S("0"), S("99999999999"))},
			},
			want: map[string]string{
				"given_name": `{"Name":"given_name","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"StringAttributeConstraints":{"MinLength":"0","MaxLength":"255"}}`,
				"name":       `{"Name":"name","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":true,"Required":true,"StringAttributeConstraints":{"MinLength":"1","MaxLength":"512"}}`,
				"updated_at": `{"Name":"updated_at","AttributeDataType":"Number","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"NumberAttributeConstraints":{"MinValue":"0","MaxValue":"99999999999"}}`,
			},
			custom: `null`,
		},
		{
			name:     "sub redeclared as it is",
			declared: []SchemaAttribute{{Name: "sub", AttributeDataType: "String", DeveloperOnlyAttribute: B(false), Mutable: B(false), Required: B(true), StringAttributeConstraints: str(S("1"), S("2048"))}},
			want: map[string]string{
				"sub": `{"Name":"sub","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":false,"Required":true,"StringAttributeConstraints":{"MinLength":"1","MaxLength":"2048"}}`,
			},
			custom: `null`,
		},
		{
			name:     "sub made mutable",
			declared: []SchemaAttribute{{Name: "sub", AttributeDataType: "String", Mutable: B(true)}},
			err:      "You can not change Mutable for standard schema attribute sub",
		},
		{
			name:     "standard data type changed",
			declared: []SchemaAttribute{{Name: "family_name", AttributeDataType: "Number"}},
			err:      "You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute family_name",
		},
		{
			name:     "standard made developer-only",
			declared: []SchemaAttribute{{Name: "email", DeveloperOnlyAttribute: B(true)}},
			err:      "You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute email",
		},
		{
			name: "custom attributes of each type",
			declared: []SchemaAttribute{
				{Name: "tier", AttributeDataType: "String", Mutable: B(true)},
				{Name: "code", AttributeDataType: "String", StringAttributeConstraints: str(S("1"), S("15"))},
				{Name: "age", AttributeDataType: "Number", Mutable: B(true), NumberAttributeConstraints: num(S("1"), S("99")), StringAttributeConstraints: str(S("1"), S("99"))},
				{Name: "count", AttributeDataType: "Number"},
				{Name: "member", AttributeDataType: "Boolean", StringAttributeConstraints: str(S("1"), S("2"))},
				{Name: "joined", AttributeDataType: "DateTime", NumberAttributeConstraints: num(S("1"), nil)},
			},
			custom: `[` +
				`{"Name":"custom:tier","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"StringAttributeConstraints":{}},` +
				`{"Name":"custom:code","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":false,"Required":false,"StringAttributeConstraints":{"MinLength":"1","MaxLength":"15"}},` +
				`{"Name":"custom:age","AttributeDataType":"Number","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"NumberAttributeConstraints":{"MinValue":"1","MaxValue":"99"}},` +
				`{"Name":"custom:count","AttributeDataType":"Number","DeveloperOnlyAttribute":false,"Mutable":false,"Required":false,"NumberAttributeConstraints":{}},` +
				`{"Name":"custom:member","AttributeDataType":"Boolean","DeveloperOnlyAttribute":false,"Mutable":false,"Required":false},` +
				`{"Name":"custom:joined","AttributeDataType":"DateTime","DeveloperOnlyAttribute":false,"Mutable":false,"Required":false}]`,
		},
		{
			// The CreateUserPool example of the API reference: the String
			// constraints of a Number attribute are dropped.
			name: "developer-only attribute",
			declared: []SchemaAttribute{{Name: "mydev", AttributeDataType: "Number", DeveloperOnlyAttribute: B(true), Mutable: B(true), Required: B(false),
				NumberAttributeConstraints: num(S("1"), S("99")), StringAttributeConstraints: str(S("1"), S("99"))}},
			custom: `[{"Name":"dev:custom:mydev","AttributeDataType":"Number","DeveloperOnlyAttribute":true,"Mutable":true,"Required":false,"NumberAttributeConstraints":{"MinValue":"1","MaxValue":"99"}}]`,
		},
		{
			// A declared prefix is part of the name: Cognito creates
			// custom:custom:name.
			name:     "name declared with its prefix",
			declared: []SchemaAttribute{{Name: "custom:name", AttributeDataType: "String"}},
			custom:   `[{"Name":"custom:custom:name","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":false,"Required":false,"StringAttributeConstraints":{}}]`,
		},
		{
			// Cognito takes email_verified in a Schema as a custom attribute.
			name:     "email_verified declared",
			declared: []SchemaAttribute{{Name: "email_verified", AttributeDataType: "Boolean", Mutable: B(true)}},
			custom:   `[{"Name":"custom:email_verified","AttributeDataType":"Boolean","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false}]`,
		},
		{
			name: "custom after standard, in declared order",
			declared: []SchemaAttribute{
				{Name: "zeta", AttributeDataType: "String"},
				{Name: "email", Required: B(true), Mutable: B(true)},
				{Name: "alpha", AttributeDataType: "Number"},
			},
			custom: `[{"Name":"custom:zeta","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":false,"Required":false,"StringAttributeConstraints":{}},` +
				`{"Name":"custom:alpha","AttributeDataType":"Number","DeveloperOnlyAttribute":false,"Mutable":false,"Required":false,"NumberAttributeConstraints":{}}]`,
		},
		{
			name:     "20-character name",
			declared: []SchemaAttribute{{Name: strings.Repeat("n", 20), AttributeDataType: "String"}},
			custom:   `[{"Name":"custom:nnnnnnnnnnnnnnnnnnnn","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":false,"Required":false,"StringAttributeConstraints":{}}]`,
		},
		{
			name:     "phone_number_verified declared",
			declared: []SchemaAttribute{{Name: "email", Required: B(true)}, {Name: "phone_number_verified", AttributeDataType: "Boolean"}},
			err:      "'phone_number_verified' at schema.2.member.name: max length 20",
		},
		{
			name:     "empty name",
			declared: []SchemaAttribute{{Name: "", AttributeDataType: "String"}},
			err: "'' at schema.1.member.name: min length 1; " +
				`'' at schema.1.member.name: pattern [\p{L}\p{M}\p{S}\p{N}\p{P}]+`,
		},
		{
			name:     "name with a space",
			declared: []SchemaAttribute{{Name: "my attr", AttributeDataType: "String"}},
			err:      `'my attr' at schema.1.member.name: pattern [\p{L}\p{M}\p{S}\p{N}\p{P}]+`,
		},
		{
			name:     "unknown data type",
			declared: []SchemaAttribute{{Name: "x", AttributeDataType: "string"}},
			err:      "'string' at schema.1.member.attributeDataType: enum [Boolean Number String DateTime]",
		},
		{
			name:     "51 attributes",
			declared: many(51),
			err:      "at schema: max length 50",
		},
		{
			name:     "custom without data type",
			declared: []SchemaAttribute{{Name: "tier"}},
			err:      "Invalid AttributeDataType input, consider using the provided AttributeDataType enum.",
		},
		{
			name:     "required custom",
			declared: []SchemaAttribute{{Name: "tier", AttributeDataType: "String", Required: B(true)}},
			err:      "Required custom attributes are not supported currently.",
		},
		{
			name:     "custom declared twice",
			declared: []SchemaAttribute{{Name: "tier", AttributeDataType: "String"}, {Name: "tier", AttributeDataType: "Number"}},
			err:      "custom:tier: Existing attribute already has name custom:tier.",
		},
		{
			name:     "standard declared twice",
			declared: []SchemaAttribute{{Name: "email", Required: B(true)}, {Name: "email", Mutable: B(true)}},
			err:      "email: Existing attribute already has name email.",
		},
		{
			name:     "String longer than 2048",
			declared: []SchemaAttribute{{Name: "bio", AttributeDataType: "String", StringAttributeConstraints: str(S("0"), S("2049"))}},
			err:      "user.custom:bio: String attributes cannot have a length of more than 2048",
		},
		{
			name:     "standard String longer than 2048",
			declared: []SchemaAttribute{{Name: "address", StringAttributeConstraints: str(nil, S("4096"))}},
			err:      "user.address: String attributes cannot have a length of more than 2048",
		},
		{
			name:     "String of 2048",
			declared: []SchemaAttribute{{Name: "bio", AttributeDataType: "String", StringAttributeConstraints: str(nil, S("2048"))}},
			custom:   `[{"Name":"custom:bio","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":false,"Required":false,"StringAttributeConstraints":{"MaxLength":"2048"}}]`,
		},
		{
			name:     "min length over max length",
			declared: []SchemaAttribute{{Name: "bio", AttributeDataType: "String", StringAttributeConstraints: str(S("10"), S("5"))}},
			err:      "user.custom:bio: Max length cannot be less than min length.",
		},
		{
			name:     "length not a number",
			declared: []SchemaAttribute{{Name: "bio", AttributeDataType: "String", StringAttributeConstraints: str(S("ten"), nil)}},
			err:      "Invalid StringAttributeConstraints for schema attribute custom:bio",
		},
		{
			name:     "negative length",
			declared: []SchemaAttribute{{Name: "bio", AttributeDataType: "String", StringAttributeConstraints: str(S("-1"), nil)}},
			err:      "Invalid StringAttributeConstraints for schema attribute custom:bio",
		},
		{
			name:     "min value over max value",
			declared: []SchemaAttribute{{Name: "age", AttributeDataType: "Number", NumberAttributeConstraints: num(S("100"), S("1"))}},
			err:      "user.custom:age: Max value cannot be less than min value.",
		},
		{
			name:     "value bound not an integer",
			declared: []SchemaAttribute{{Name: "age", AttributeDataType: "Number", NumberAttributeConstraints: num(S("1.5"), nil)}},
			err:      "Invalid NumberAttributeConstraints for schema attribute custom:age",
		},
		{
			name:     "negative value bounds",
			declared: []SchemaAttribute{{Name: "delta", AttributeDataType: "Number", NumberAttributeConstraints: num(S("-10"), S("+10"))}},
			custom:   `[{"Name":"custom:delta","AttributeDataType":"Number","DeveloperOnlyAttribute":false,"Mutable":false,"Required":false,"NumberAttributeConstraints":{"MinValue":"-10","MaxValue":"10"}}]`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BuildSchema(tc.declared, []string{"email"})
			if tc.err != "" {
				if err == nil {
					t.Fatalf("no error, want %q", tc.err)
				}
				if msg := schemaErrText(err); msg != tc.err {
					t.Fatalf("error\n got %q\nwant %q", msg, tc.err)
				}
				if got != nil {
					t.Fatalf("schema returned with the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) < 20 {
				t.Fatalf("%d attributes", len(got))
			}
			for i, a := range got[:20] {
				if a.Name != schStandard[i].Name {
					t.Errorf("standard attribute %d is %q, want %q", i, a.Name, schStandard[i].Name)
				}
			}
			for name, want := range tc.want {
				if got := schemaJSON(t, schemaFind(got, name)); got != want {
					t.Errorf("%s\n got %s\nwant %s", name, got, want)
				}
			}
			custom := append([]SchemaAttribute(nil), got[20:]...)
			if g := schemaJSON(t, custom); g != tc.custom {
				t.Errorf("custom attributes\n got %s\nwant %s", g, tc.custom)
			}
		})
	}
}

func TestSchemaBuildDoesNotShareState(t *testing.T) {
	declared := []SchemaAttribute{{Name: "email", Required: schBool(true), Mutable: schBool(true),
		StringAttributeConstraints: &StringAttributeConstraints{MinLength: schStr("3"), MaxLength: schStr("99")}}}
	s, err := BuildSchema(declared, nil)
	if err != nil {
		t.Fatal(err)
	}
	*declared[0].StringAttributeConstraints.MaxLength = "5"
	*declared[0].Required = false
	email := schemaFind(s, "email")
	if *email.StringAttributeConstraints.MaxLength != "99" || !*email.Required {
		t.Fatalf("schema follows the declaration's later edits: %s", schemaJSON(t, email))
	}
	if got := schemaJSON(t, StandardSchema()); got != schemaStandardJSON {
		t.Fatalf("BuildSchema changed the standard schema: %s", got)
	}
}

func TestSchemaAddCustomAttributes(t *testing.T) {
	base, err := BuildSchema([]SchemaAttribute{{Name: "tier", AttributeDataType: "String", Mutable: schBool(true)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	withDev, err := AddCustomAttributes(base, []SchemaAttribute{{Name: "secret", AttributeDataType: "String", DeveloperOnlyAttribute: schBool(true)}})
	if err != nil {
		t.Fatal(err)
	}
	customs := func(n int) []SchemaAttribute {
		s := StandardSchema()
		for i := 0; i < n; i++ {
			s = append(s, SchemaAttribute{Name: fmt.Sprintf("custom:c%d", i), AttributeDataType: "String"})
		}
		return s
	}
	many := func(n int) []SchemaAttribute {
		l := make([]SchemaAttribute, n)
		for i := range l {
			l[i] = SchemaAttribute{Name: fmt.Sprintf("n%d", i), AttributeDataType: "Boolean"}
		}
		return l
	}
	tests := []struct {
		name   string
		schema []SchemaAttribute
		add    []SchemaAttribute
		err    string
		added  string // JSON of what follows the schema given
	}{
		{
			name:   "one of each",
			schema: base,
			add: []SchemaAttribute{
				{Name: "CustomAttr1", AttributeDataType: "String", DeveloperOnlyAttribute: schBool(false), Required: schBool(false),
					StringAttributeConstraints: &StringAttributeConstraints{MinLength: schStr("1"), MaxLength: schStr("15")}},
				{Name: "score", AttributeDataType: "Number", Mutable: schBool(true)},
				{Name: "email", AttributeDataType: "String"},
			},
			added: `[{"Name":"custom:CustomAttr1","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":false,"Required":false,"StringAttributeConstraints":{"MinLength":"1","MaxLength":"15"}},` +
				`{"Name":"custom:score","AttributeDataType":"Number","DeveloperOnlyAttribute":false,"Mutable":true,"Required":false,"NumberAttributeConstraints":{}},` +
				`{"Name":"custom:email","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":false,"Required":false,"StringAttributeConstraints":{}}]`,
		},
		{
			name:   "existing custom attribute",
			schema: base,
			add:    []SchemaAttribute{{Name: "tier", AttributeDataType: "Number"}},
			err:    "custom:tier: Existing attribute already has name custom:tier.",
		},
		{
			name:   "existing developer-only attribute",
			schema: withDev,
			add:    []SchemaAttribute{{Name: "secret", AttributeDataType: "String", DeveloperOnlyAttribute: schBool(true)}},
			err:    "custom:secret: Existing attribute already has name dev:custom:secret.",
		},
		{
			name:   "custom beside a developer-only one of the same name",
			schema: withDev,
			add:    []SchemaAttribute{{Name: "secret", AttributeDataType: "String"}},
			added:  `[{"Name":"custom:secret","AttributeDataType":"String","DeveloperOnlyAttribute":false,"Mutable":false,"Required":false,"StringAttributeConstraints":{}}]`,
		},
		{
			name:   "twice in one call",
			schema: base,
			add:    []SchemaAttribute{{Name: "x", AttributeDataType: "String"}, {Name: "x", AttributeDataType: "String"}},
			err:    "custom:x: Existing attribute already has name custom:x.",
		},
		{
			name:   "required",
			schema: base,
			add:    []SchemaAttribute{{Name: "x", AttributeDataType: "String", Required: schBool(true)}},
			err:    "Required custom attributes are not supported currently.",
		},
		{
			name:   "no data type",
			schema: base,
			add:    []SchemaAttribute{{Name: "x"}},
			err:    "Invalid AttributeDataType input, consider using the provided AttributeDataType enum.",
		},
		{
			name:   "constraints checked",
			schema: base,
			add:    []SchemaAttribute{{Name: "x", AttributeDataType: "String", StringAttributeConstraints: &StringAttributeConstraints{MaxLength: schStr("5000")}}},
			err:    "user.custom:x: String attributes cannot have a length of more than 2048",
		},
		{
			name:   "the 50th",
			schema: customs(49),
			add:    []SchemaAttribute{{Name: "last", AttributeDataType: "DateTime"}},
			added:  `[{"Name":"custom:last","AttributeDataType":"DateTime","DeveloperOnlyAttribute":false,"Mutable":false,"Required":false}]`,
		},
		{
			name:   "the 51st",
			schema: customs(50),
			add:    []SchemaAttribute{{Name: "last", AttributeDataType: "DateTime"}},
			err:    "The number of custom attributes exceeds the limit of 50.",
		},
		{
			name:   "over the limit within one call",
			schema: customs(40),
			add:    many(11),
			err:    "The number of custom attributes exceeds the limit of 50.",
		},
		{
			name:   "none",
			schema: base,
			add:    nil,
			err:    "at customAttributes: min length 1",
		},
		{
			name:   "26 in one call",
			schema: base,
			add:    many(26),
			err:    "at customAttributes: max length 25",
		},
		{
			name:   "name too long",
			schema: base,
			add:    []SchemaAttribute{{Name: strings.Repeat("x", 21), AttributeDataType: "String"}},
			err:    "'xxxxxxxxxxxxxxxxxxxxx' at customAttributes.1.member.name: max length 20",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := schemaJSON(t, tc.schema)
			got, err := AddCustomAttributes(tc.schema, tc.add)
			if after := schemaJSON(t, tc.schema); after != before {
				t.Fatalf("the schema given was modified")
			}
			if tc.err != "" {
				if msg := schemaErrText(err); msg != tc.err {
					t.Fatalf("error\n got %q\nwant %q", msg, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if prefix := schemaJSON(t, got[:len(tc.schema)]); prefix != before {
				t.Fatalf("held attributes changed:\n%s", prefix)
			}
			if added := schemaJSON(t, got[len(tc.schema):]); added != tc.added {
				t.Fatalf("added\n got %s\nwant %s", added, tc.added)
			}
		})
	}
}

func TestAttributeCheck(t *testing.T) {
	schema, err := BuildSchema([]SchemaAttribute{
		{Name: "email", Required: schBool(true), Mutable: schBool(true)},
		{Name: "preferred_username", Required: schBool(true)}, // immutable
		{Name: "tier", AttributeDataType: "String", Mutable: schBool(true), StringAttributeConstraints: &StringAttributeConstraints{MinLength: schStr("2"), MaxLength: schStr("5")}},
		{Name: "tenant", AttributeDataType: "String"}, // immutable
		{Name: "age", AttributeDataType: "Number", Mutable: schBool(true), NumberAttributeConstraints: &NumberAttributeConstraints{MinValue: schStr("18"), MaxValue: schStr("130")}},
		{Name: "count", AttributeDataType: "Number", Mutable: schBool(true)},
		{Name: "member", AttributeDataType: "Boolean", Mutable: schBool(true)},
		{Name: "joined", AttributeDataType: "DateTime", Mutable: schBool(true)},
		{Name: "note", AttributeDataType: "String", Mutable: schBool(true)},
		{Name: "secret", AttributeDataType: "String", Mutable: schBool(true), DeveloperOnlyAttribute: schBool(true)},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const conform = "Attributes did not conform to the schema: "
	tests := []struct {
		name         string
		attrs        map[string]string
		mode         CheckMode
		err          string
		unauthorized bool
	}{
		// SignUp and AdminCreateUser.
		{name: "create: fine", mode: CheckCreate, attrs: map[string]string{
			"email": "a@example.com", "preferred_username": "al", "custom:tenant": "t1", "custom:tier": "gold", "custom:age": "18",
			"custom:count": "-3.25", "custom:member": "True", "custom:joined": "2024-05-01T10:00:00Z", "birthdate": "1990-01-31",
			"phone_number": "+15555550100", "email_verified": "false", "updated_at": "1700000000", "custom:note": strings.Repeat("é", 2048),
		}},
		{name: "create: every value empty", mode: CheckCreate, attrs: map[string]string{"birthdate": "", "custom:age": "", "email": "", "phone_number": ""}},
		{name: "create: unknown attribute", mode: CheckCreate, attrs: map[string]string{"phone": "+15555550100"},
			err: conform + "phone: Attribute does not exist in the schema.\n"},
		{name: "create: undeclared and unprefixed custom", mode: CheckCreate,
			attrs: map[string]string{"custom:firstName": "A", "custom:lastName": "B", "favorite_flavor": "x", "email": "a@b.c"},
			err: conform + "custom:firstName: Attribute does not exist in the schema.\n" +
				"custom:lastName: Attribute does not exist in the schema.\n" +
				"favorite_flavor: Attribute does not exist in the schema.\n"},
		{name: "create: names are case-sensitive", mode: CheckCreate, attrs: map[string]string{"Email": "a@b.c"},
			err: conform + "Email: Attribute does not exist in the schema.\n"},
		{name: "create: birthdate too short", mode: CheckCreate, attrs: map[string]string{"birthdate": "1/2/1990"},
			err: conform + "birthdate: String must be no shorter than 10 characters\n"},
		{name: "create: birthdate too long", mode: CheckCreate, attrs: map[string]string{"birthdate": "01/02/1990 "},
			err: conform + "birthdate: String must be no longer than 10 characters\n"},
		{name: "create: custom String too long", mode: CheckCreate, attrs: map[string]string{"custom:tier": "platinum", "custom:tenant": "x"},
			err: conform + "custom:tier: String must be no longer than 5 characters\n"},
		{name: "create: custom String too short", mode: CheckCreate, attrs: map[string]string{"custom:tier": "a"},
			err: conform + "custom:tier: String must be no shorter than 2 characters\n"},
		{name: "create: String without constraints over 2048", mode: CheckCreate, attrs: map[string]string{"custom:note": strings.Repeat("x", 2049)},
			err: conform + "custom:note: String must be no longer than 2048 characters\n"},
		{name: "create: Number", mode: CheckCreate, attrs: map[string]string{"custom:age": "17", "custom:count": "12a", "updated_at": "-1"},
			err: conform + "custom:age: Number must be no less than 18\ncustom:count: Value must be a Number\nupdated_at: Number must be no less than 0\n"},
		{name: "create: Number above its maximum", mode: CheckCreate, attrs: map[string]string{"custom:age": "130.5"},
			err: conform + "custom:age: Number must be no greater than 130\n"},
		{name: "create: Boolean", mode: CheckCreate, attrs: map[string]string{"custom:member": "yes", "email_verified": "1"},
			err: conform + "custom:member: Value must be a Boolean\nemail_verified: Value must be a Boolean\n"},
		{name: "create: DateTime", mode: CheckCreate, attrs: map[string]string{"custom:joined": "yesterday"},
			err: conform + "custom:joined: Value must be a DateTime\n"},
		{name: "create: sub", mode: CheckCreate, attrs: map[string]string{"sub": "5f1c"},
			err: conform + "sub: Attribute cannot be updated.\n"},
		{name: "create: bad email", mode: CheckCreate, attrs: map[string]string{"email": "not an email"},
			err: "Invalid email address format."},
		{name: "create: bad phone", mode: CheckCreate, attrs: map[string]string{"phone_number": "0400000000"},
			err: "Invalid phone number format."},
		{name: "create: schema before format", mode: CheckCreate, attrs: map[string]string{"phone_number": "0400000000", "nope": "x"},
			err: conform + "nope: Attribute does not exist in the schema.\n"},
		{name: "create: immutable attributes are set at creation", mode: CheckCreate, attrs: map[string]string{"custom:tenant": "t1", "preferred_username": "al"}},
		{name: "create by admin: developer-only attribute", mode: CheckCreate, attrs: map[string]string{"dev:custom:secret": "s"}},
		{name: "sign-up: developer-only attribute", mode: CheckCreate | CheckByUser, attrs: map[string]string{"dev:custom:secret": "s", "nope": "x"},
			err: "A client attempted to write unauthorized attribute", unauthorized: true},
		{name: "sign-up: fine", mode: CheckCreate | CheckByUser, attrs: map[string]string{"email": "a@example.com", "custom:tier": "gold"}},

		// UpdateUserAttributes and AdminUpdateUserAttributes.
		{name: "update: fine", mode: CheckUpdate, attrs: map[string]string{"email": "b@example.com", "custom:tier": "ab", "name": "", "custom:age": "42"}},
		{name: "update: unknown custom attributes", mode: CheckUpdate, attrs: map[string]string{"custom:address": "x", "custom:latitude": "1"},
			err: "user.custom:address: Attribute does not exist in the schema.\nuser.custom:latitude: Attribute does not exist in the schema.\n"},
		{name: "update: immutable standard", mode: CheckUpdate, attrs: map[string]string{"preferred_username": "al"},
			err: "user.preferred_username: Attribute cannot be updated.\n"},
		{name: "update: immutable custom, even to nothing", mode: CheckUpdate, attrs: map[string]string{"custom:tenant": ""},
			err: "user.custom:tenant: Attribute cannot be updated.\n"},
		{name: "update: sub", mode: CheckUpdate, attrs: map[string]string{"sub": "x"},
			err: "user.sub: Attribute cannot be updated.\n"},
		{name: "update: required set to nothing", mode: CheckUpdate, attrs: map[string]string{"email": ""},
			err: "user.email: Required attribute cannot be deleted.\n"},
		{name: "update: values", mode: CheckUpdate, attrs: map[string]string{"birthdate": "1990", "custom:member": "no"},
			err: "user.birthdate: String must be no shorter than 10 characters\nuser.custom:member: Value must be a Boolean\n"},
		{name: "update: bad email", mode: CheckUpdate, attrs: map[string]string{"email": "a@b@c"},
			err: "Invalid email address format."},
		{name: "update: bad phone", mode: CheckUpdate, attrs: map[string]string{"phone_number": "+1 555 555 0100"},
			err: "Invalid phone number format."},
		{name: "update by admin: developer-only attribute", mode: CheckUpdate, attrs: map[string]string{"dev:custom:secret": "s"}},
		{name: "update by user: developer-only attribute", mode: CheckUpdate | CheckByUser, attrs: map[string]string{"dev:custom:secret": "s"},
			err: "A client attempted to write unauthorized attribute", unauthorized: true},

		// DeleteUserAttributes and AdminDeleteUserAttributes: only the names count.
		{name: "delete: fine", mode: CheckDelete, attrs: map[string]string{"name": "", "custom:tier": "ignored", "phone_number": ""}},
		{name: "delete: required", mode: CheckDelete, attrs: map[string]string{"email": ""},
			err: "user.email: Required attribute cannot be deleted.\n"},
		{name: "delete: immutable", mode: CheckDelete, attrs: map[string]string{"custom:tenant": ""},
			err: "user.custom:tenant: Attribute cannot be updated.\n"},
		{name: "delete: sub and unknown", mode: CheckDelete, attrs: map[string]string{"sub": "", "custom:gone": ""},
			err: "user.custom:gone: Attribute does not exist in the schema.\nuser.sub: Attribute cannot be updated.\n"},
		{name: "delete by user: developer-only attribute", mode: CheckDelete | CheckByUser, attrs: map[string]string{"dev:custom:secret": ""},
			err: "A client attempted to write unauthorized attribute", unauthorized: true},
		{name: "delete by admin: developer-only attribute", mode: CheckDelete, attrs: map[string]string{"dev:custom:secret": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckAttributes(schema, tc.attrs, tc.mode)
			if tc.err == "" {
				if err != nil {
					t.Fatalf("refused: %q", schemaErrText(err))
				}
				return
			}
			var se *SchemaError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want *SchemaError %q", err, tc.err)
			}
			if se.Message != tc.err || se.Error() != tc.err {
				t.Fatalf("error\n got %q\nwant %q", se.Message, tc.err)
			}
			if se.Unauthorized != tc.unauthorized {
				t.Fatalf("Unauthorized = %v, want %v", se.Unauthorized, tc.unauthorized)
			}
		})
	}
}

func TestAttributeCheckStandardSchema(t *testing.T) {
	// A pool without a Schema: every standard attribute is writable except
	// sub, and nothing custom exists.
	s := StandardSchema()
	ok := map[string]string{"name": "A", "given_name": "B", "family_name": "C", "middle_name": "D", "nickname": "E",
		"preferred_username": "f", "profile": "https://p", "picture": "https://q", "website": "https://w",
		"email": "x@example.com", "email_verified": "TRUE", "gender": "x", "birthdate": "0000-12-31", "zoneinfo": "Europe/Paris",
		"locale": "fr-FR", "phone_number": "+33612345678", "phone_number_verified": "false", "address": "1 rue", "updated_at": "0"}
	for _, mode := range []CheckMode{CheckCreate, CheckUpdate, CheckDelete, CheckUpdate | CheckByUser} {
		if err := CheckAttributes(s, ok, mode); err != nil {
			t.Errorf("mode %#x: %q", mode, schemaErrText(err))
		}
	}
	if got := schemaErrText(CheckAttributes(s, map[string]string{"custom:tier": "x"}, CheckCreate)); got !=
		"Attributes did not conform to the schema: custom:tier: Attribute does not exist in the schema.\n" {
		t.Errorf("custom attribute on a pool without one: %q", got)
	}
	if err := CheckAttributes(s, nil, CheckCreate); err != nil {
		t.Errorf("no attributes: %v", err)
	}
}

func TestAttributeMissingRequired(t *testing.T) {
	schema, err := BuildSchema([]SchemaAttribute{
		{Name: "name", Required: schBool(true), Mutable: schBool(true)},
		{Name: "email", Required: schBool(true), Mutable: schBool(true)},
		{Name: "middle_name", Required: schBool(true)},
		{Name: "tier", AttributeDataType: "String"},
	}, []string{"email"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		attrs   map[string]string
		missing []string
		err     string
	}{
		{attrs: nil, missing: []string{"name", "middle_name", "email"},
			err: "Attributes did not conform to the schema: name: The attribute is required\nmiddle_name: The attribute is required\nemail: The attribute is required\n"},
		{attrs: map[string]string{"name": "A", "email": "", "custom:tier": "x"}, missing: []string{"middle_name", "email"},
			err: "Attributes did not conform to the schema: middle_name: The attribute is required\nemail: The attribute is required\n"},
		{attrs: map[string]string{"name": "A", "email": "a@b.c", "middle_name": "M"}},
	}
	for i, tc := range tests {
		got := MissingRequired(schema, tc.attrs)
		if strings.Join(got, ",") != strings.Join(tc.missing, ",") {
			t.Errorf("%d: MissingRequired = %q, want %q", i, got, tc.missing)
		}
		err := MissingRequiredError(got)
		if tc.err == "" {
			if err != nil {
				t.Errorf("%d: %v", i, err)
			}
			continue
		}
		if msg := schemaErrText(err); msg != tc.err {
			t.Errorf("%d: error\n got %q\nwant %q", i, msg, tc.err)
		}
	}
	// sub is required but Cognito assigns it; nothing else is required in a
	// pool without a Schema.
	if got := MissingRequired(StandardSchema(), nil); len(got) != 0 {
		t.Errorf("standard schema requires %q", got)
	}
}

func TestAttributeFormats(t *testing.T) {
	phones := map[string]bool{
		"+15555550100": true, "+33612345678": true, "+1": true, "+123456789012345": true,
		"0400000000": false, "+0400000000": false, "+1234567890123456": false, "+": false, "": false,
		"+1 555 555 0100": false, "+1-555-555-0100": false, "++15555550100": false, "+1555555010a": false,
		"15555550100": false, "+١٢٣": false,
	}
	for s, want := range phones {
		if got := ValidPhoneNumber(s); got != want {
			t.Errorf("ValidPhoneNumber(%q) = %v, want %v", s, got, want)
		}
	}
	emails := map[string]bool{
		"a@example.com": true, "first.last+tag@sub.example.co.uk": true, "üser@exämple.de": true, "a@b": true,
		"": false, "a": false, "@example.com": false, "a@": false, "a@b@c": false, "a b@example.com": false,
		"a@exa mple.com": false, "a@example.com\n": false, "\ta@example.com": false, "a\x00@b.c": false, "a@b.c\xff": false,
	}
	for s, want := range emails {
		if got := ValidEmail(s); got != want {
			t.Errorf("ValidEmail(%q) = %v, want %v", s, got, want)
		}
	}
	dates := map[string]bool{
		"2024-05-01": true, "2024-05-01T10:00:00Z": true, "2024-05-01T10:00:00.123+02:00": true,
		"2024-05-01T10:00:00": true, "2024-05-01T10:00": true,
		"2024-13-01": false, "01/05/2024": false, "yesterday": false, "": false, "1714557600": false,
	}
	for s, want := range dates {
		if got := ValidDateTime(s); got != want {
			t.Errorf("ValidDateTime(%q) = %v, want %v", s, got, want)
		}
	}
	for name, custom := range map[string]bool{"custom:x": true, "dev:custom:x": true, "email": false, "customer": false} {
		if IsCustomAttributeName(name) != custom {
			t.Errorf("IsCustomAttributeName(%q) = %v", name, !custom)
		}
	}
}
