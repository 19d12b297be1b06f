package auth_test

import (
	"context"
	"fmt"
	"log"

	"github.com/cognate-dev/cognate/auth"
)

// Sign-up by e-mail with auto sign-in, as Amplify's signUp with
// autoSignIn: true, confirmSignUp and autoSignIn. The code is the one the
// pool e-mailed (Cognate's dev outbox shows it).
func ExampleClient_AutoSignIn() {
	client, err := auth.New(auth.Config{UserPoolID: "us-east-1_AbC123xyZ", ClientID: "abcdefghij0123456789klmnop",
		Endpoint: "http://127.0.0.1:9229"})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	const email, password = "ann@example.com", "Corr3ct-Horse!"
	up, err := client.SignUp(ctx, email, password, auth.SignUpOptions{
		UserAttributes: map[string]string{"email": email},
		AutoSignIn:     true,
	})
	if err != nil {
		log.Fatal(err)
	}
	if up.NextStep == auth.SignUpStepConfirmSignUp {
		fmt.Printf("enter the code sent to %s: ", up.CodeDelivery.Destination)
		var code string
		fmt.Scanln(&code)
		conf, err := client.ConfirmSignUp(ctx, email, code, auth.ConfirmSignUpOptions{})
		if err != nil {
			log.Fatal(err) // a wrong code: auth.IsServiceError(err, "CodeMismatchException")
		}
		up.NextStep = conf.NextStep
	}
	if up.NextStep == auth.SignUpStepCompleteAutoSignIn {
		if _, err := client.AutoSignIn(ctx); err != nil {
			log.Fatal(err)
		}
	}
}

// A forgotten password, as Amplify's resetPassword and confirmResetPassword.
func ExampleClient_ResetPassword() {
	client, err := auth.New(auth.Config{UserPoolID: "us-east-1_AbC123xyZ", ClientID: "abcdefghij0123456789klmnop"})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	r, err := client.ResetPassword(ctx, "ann@example.com", auth.ResetPasswordOptions{})
	if err != nil {
		log.Fatal(err)
	}
	if r.NextStep == auth.ResetPasswordStepConfirmWithCode {
		fmt.Printf("enter the code sent to %s: ", r.CodeDelivery.Destination)
		var code string
		fmt.Scanln(&code)
		if err := client.ConfirmResetPassword(ctx, "ann@example.com", "N3w-Passw0rd!", code, auth.ConfirmResetPasswordOptions{}); err != nil {
			log.Fatal(err)
		}
	}
}

// Changing the e-mail address of the signed-in user, as Amplify's
// updateUserAttributes and confirmUserAttribute.
func ExampleClient_UpdateUserAttributes() {
	client, err := auth.New(auth.Config{UserPoolID: "us-east-1_AbC123xyZ", ClientID: "abcdefghij0123456789klmnop"})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	res, err := client.UpdateUserAttributes(ctx, map[string]string{"email": "ann@example.org", "name": "Ann"}, auth.UpdateUserAttributesOptions{})
	if err != nil {
		log.Fatal(err) // auth.ErrNotSignedIn when nobody is signed in
	}
	for name, r := range res {
		if r.NextStep == auth.UpdateAttributeStepConfirmWithCode {
			fmt.Printf("enter the code sent to %s: ", r.CodeDelivery.Destination)
			var code string
			fmt.Scanln(&code)
			if err := client.ConfirmUserAttribute(ctx, name, code); err != nil {
				log.Fatal(err)
			}
		}
	}
	attrs, err := client.FetchUserAttributes(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(attrs["email"], attrs["email_verified"])
}
