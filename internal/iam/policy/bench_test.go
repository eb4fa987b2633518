package policy

import "testing"

func BenchmarkEvaluate(b *testing.B) {
	b.Run("ReadOnly", func(b *testing.B) {
		d := mustParse(b, readOnlyPolicy, Identity)
		req := &Request{Principal: alice, Action: "ecr:BatchGetImage", Resource: repoApp}
		b.ReportAllocs()
		for b.Loop() {
			if r := d.Evaluate(req); r.Allow != MatchPrincipal {
				b.Fatal(r)
			}
		}
	})
	b.Run("RepositoryPolicyPrincipalAccount", func(b *testing.B) {
		d := mustParse(b, doc(`{"Sid":"cross-account pull","Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability"],"Condition":{"StringEquals":{"aws:PrincipalAccount":["222222222222","333333333333"]}}}`), Resource)
		req := &Request{Principal: bob, Action: "ecr:BatchGetImage", Resource: repoApp, Context: map[string][]string{"aws:SourceIp": {"10.0.0.1"}, "aws:SecureTransport": {"true"}}}
		b.ReportAllocs()
		for b.Loop() {
			if r := d.Evaluate(req); r.Allow != MatchPrincipal {
				b.Fatal(r)
			}
		}
	})
	b.Run("Decide3Identity2Resource", func(b *testing.B) {
		in := Input{
			Identity: []*Document{
				mustParse(b, readOnlyPolicy, Identity),
				mustParse(b, doc(`{"Effect":"Allow","Action":["ecr:PutImage","ecr:InitiateLayerUpload","ecr:UploadLayerPart","ecr:CompleteLayerUpload"],"Resource":"arn:aws:ecr:*:111111111111:repository/${aws:username}/*"}`), Identity),
				mustParse(b, doc(`{"Effect":"Deny","Action":"ecr:Delete*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`), Identity),
			},
			Resource: []*Document{
				mustParse(b, doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}`), Resource),
				mustParse(b, doc(`{"Effect":"Deny","Principal":"*","Action":"ecr:*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc"}}}`), Resource),
			},
			ResourceAccount: acctA,
		}
		req := &Request{Principal: alice, Action: "ecr:BatchGetImage", Resource: repoApp, Context: map[string][]string{"aws:SourceIp": {"10.0.0.1"}, "aws:SecureTransport": {"true"}}}
		b.ReportAllocs()
		for b.Loop() {
			if d := Decide(in, req); !d.Allowed() {
				b.Fatal(d)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(readOnlyPolicy, Identity); err != nil {
			b.Fatal(err)
		}
	}
}
