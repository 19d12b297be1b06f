package awsjson

import "github.com/cognate-dev/cognate/userpool"

// The exceptions and messages of the causes of ops_iac.go, added to the
// tables of errors.go.
func init() {
	causeExceptions[userpool.CauseScopeNotFound] = "ScopeDoesNotExistException"
	messages[userpool.CauseScopeNotFound] = "Invalid scope requested: %s"
	messages[userpool.CauseResourceServerNotFound] = "Resource server %s does not exist."
}
