package config

import (
	"regexp"
	"strings"
)

// CI configures the optional deploy role a CI pipeline assumes through
// OIDC (stack "<name>-ci"); see docs/ci.md.
type CI struct {
	GitHub GitHubCI `yaml:"github" json:"github"`
}

// GitHubCI is a GitHub Actions workflow deploying from one branch.
type GitHubCI struct {
	// Repository is "owner/name". Set, it creates the "<name>-ci" stack with
	// a role only that repository's Branch can assume. Default "" (no CI role).
	Repository string `yaml:"repository" json:"repository"`
	// Branch that may deploy. Default "main". GitHub enforces it through
	// Environment's deployment branch rule (docs/ci.md).
	Branch string `yaml:"branch" json:"branch"`
	// Environment is the protected GitHub environment the deploy job runs
	// in; the role trusts only tokens of jobs in it
	// (sub repo:<owner>/<name>:environment:<environment>). Default "production".
	Environment string `yaml:"environment" json:"environment"`
	// ProviderArn is an existing GitHub OIDC provider in the account (there
	// can be only one); empty creates it.
	ProviderArn string `yaml:"providerArn" json:"providerArn"`
}

// Enabled reports whether the CI stack is part of the app.
func (c CI) Enabled() bool { return c.GitHub.Repository != "" }

func (c *CI) setDefaults() {
	if c.GitHub.Branch == "" {
		c.GitHub.Branch = "main"
	}
	if c.GitHub.Environment == "" {
		c.GitHub.Environment = "production"
	}
}

var (
	githubRepoPattern   = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)
	githubBranchPattern = regexp.MustCompile(`^[A-Za-z0-9._/-]{1,200}$`)
	oidcProviderPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\.actions\.githubusercontent\.com$`)
)

func (c *CI) validate(v *validator) {
	g := c.GitHub
	if g.Repository == "" {
		if g.ProviderArn != "" {
			v.add("ci.github.providerArn", "is set but ci.github.repository is empty; set the repository (owner/name) or remove providerArn")
		}
		return
	}
	if !githubRepoPattern.MatchString(g.Repository) {
		v.add("ci.github.repository", "is %q; use the GitHub owner/name, e.g. acme/etl", g.Repository)
	}
	if !githubBranchPattern.MatchString(g.Branch) {
		v.add("ci.github.branch", "is %q; use a branch name such as main", g.Branch)
	}
	if !githubBranchPattern.MatchString(g.Environment) || strings.Contains(g.Environment, "/") {
		v.add("ci.github.environment", "is %q; use a GitHub environment name such as production", g.Environment)
	}
	if g.ProviderArn != "" && !oidcProviderPattern.MatchString(g.ProviderArn) {
		v.add("ci.github.providerArn", "is %q; use the ARN of the account's token.actions.githubusercontent.com OIDC provider, or leave it empty to create one", g.ProviderArn)
	}
}
