package login_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"

	"github.com/sqletl/blueprint/constructs/login"
	"github.com/sqletl/blueprint/internal/cdktest"
)

func TestLoginIsGeneratedNotWritten(t *testing.T) {
	stack := cdktest.Stack(t)
	login.New(stack, "Login", login.Props{Key: awskms.NewKey(stack, jsii.String("Key"), nil)})
	_, doc := cdktest.Template(t, stack)
	secrets := cdktest.Resources(doc, "AWS::SecretsManager::Secret")
	if len(secrets) != 1 {
		t.Fatalf("secrets = %d", len(secrets))
	}
	for _, s := range secrets {
		p := cdktest.Props(s)
		if _, literal := p["SecretString"]; literal {
			t.Error("secret has a literal SecretString; it must be generated")
		}
		gen, _ := p["GenerateSecretString"].(map[string]any)
		if gen["GenerateStringKey"] != "password" || gen["PasswordLength"] != float64(32) {
			t.Errorf("GenerateSecretString = %v", gen)
		}
		if p["KmsKeyId"] == nil {
			t.Error("secret is not encrypted with the data key")
		}
	}
	raw, _ := json.Marshal(doc)
	if strings.Contains(strings.ToLower(string(raw)), `"password":"`) {
		t.Error("template contains a password value")
	}
}
