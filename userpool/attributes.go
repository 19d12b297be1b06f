package userpool

import "errors"

// checkMode says what an attribute check is for.
type checkMode int

const (
	checkCreate checkMode = iota // SignUp, AdminCreateUser
	checkUpdate                  // UpdateUserAttributes and its admin twin, NEW_PASSWORD_REQUIRED
	checkDelete                  // DeleteUserAttributes and its admin twin
)

// schema is the pool's attribute schema (pools made before schemas were
// kept have the standard one).
func (p *Pool) schema() []SchemaAttribute {
	if len(p.Config.SchemaAttributes) == 0 {
		return StandardSchema()
	}
	return p.Config.SchemaAttributes
}

// checkValues validates attribute names and values against the pool's
// schema, as Cognito does for mode; byUser marks writes made with the
// user's own (or the app client's) credentials, which may not touch
// developer-only attributes.
func (p *Pool) checkValues(attrs map[string]string, mode checkMode, byUser bool) error {
	m := map[checkMode]CheckMode{checkCreate: CheckCreate, checkUpdate: CheckUpdate, checkDelete: CheckDelete}[mode]
	if byUser {
		m |= CheckByUser
	}
	if err := schemaErr(CheckAttributes(p.schema(), attrs, m)); err != nil {
		return err
	}
	if mode == checkCreate && byUser {
		// SignUp needs every required attribute; an administrator may
		// create a user without them (the user gives them when setting a
		// password).
		return schemaErr(MissingRequiredError(MissingRequired(p.schema(), attrs)))
	}
	return nil
}

// schemaErr turns a schema refusal into a domain error.
func schemaErr(err error) error {
	var se *SchemaError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se) && len(se.Violations) > 0:
		return &Error{Kind: KindInvalid, Violations: se.Violations}
	case errors.As(err, &se) && se.Unauthorized:
		return errorf(KindNotAuthorized, "%s", se.Message)
	case errors.As(err, &se):
		return errorf(KindInvalid, "%s", se.Message)
	}
	return err
}
