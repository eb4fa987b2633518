package policy

import (
	"errors"
	"testing"
)

func FuzzParse(f *testing.F) {
	seeds := []string{
		readOnlyPolicy,
		doc(`{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/${aws:username}/${*}${?}${$}${x:y, 'd''e'}"}`),
		doc(`{"Effect":"Allow","Principal":{"AWS":["*","111111111111","arn:aws:sts::111111111111:assumed-role/R/s"]},"Action":"ecr:*"}`),
		doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:role/R"},"NotAction":"ecr:Get*","NotResource":"arn:aws:ecr:*:*:*"}`),
		doc(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"ForAllValues:StringLike":{"aws:TagKeys":"a*"},"DateLessThan":{"aws:CurrentTime":"2024-01-01"},"IpAddress":{"aws:SourceIp":"::/0"},"NumericGreaterThanIfExists":{"x:n":1},"Null":{"x:y":true},"ArnLike":{"aws:SourceArn":"arn:*:*:*:*:${aws:username}"}}}`),
		`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
		`{`,
		`[]`,
	}
	for _, s := range seeds {
		for k := Identity; k <= Trust; k++ {
			f.Add(s, int(k))
		}
	}
	principals := []Principal{alice, bob, rootA, session, anon}
	ctx := map[string][]string{
		"aws:SourceIp":        {"10.1.2.3"},
		"aws:CurrentTime":     {"2024-06-01T00:00:00Z"},
		"aws:TagKeys":         {"a", "b"},
		"ecr:ResourceTag/x":   {"*"},
		"aws:SecureTransport": {"true"},
	}
	f.Fuzz(func(t *testing.T, text string, kind int) {
		k := Kind(kind % 3)
		if k < 0 {
			k = -k
		}
		d, err := Parse(text, k)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || perr.Message == "" {
				t.Fatalf("Parse error %v is not an *Error with a message", err)
			}
			return
		}
		for _, p := range principals {
			for _, res := range []string{repoApp, "*", ""} {
				req := &Request{Principal: p, Action: "ecr:BatchGetImage", Resource: res, Context: ctx}
				r := d.Evaluate(req)
				if r.Allow < NoMatch || r.Allow > MatchPrincipal {
					t.Fatalf("Evaluate returned Allow = %d", r.Allow)
				}
				Decide(Input{Identity: []*Document{d}, Resource: []*Document{d}, Session: []*Document{d}, ResourceAccount: acctA}, req)
			}
		}
	})
}
