package iam

import (
	"testing"

	"github.com/berth-registry/berth/internal/meta"
)

// BenchmarkPullAuthorization is what every /v2 pull request costs in identity work: the
// registry token verified and the pull action authorized, both from their caches.
func BenchmarkPullAuthorization(b *testing.B) {
	ctx := b.Context()
	s, _, _ := newService(b)
	if _, err := s.Bootstrap(ctx, BootstrapOptions{AccountID: testAccount, RootAccessKeyID: testRootKey,
		RootSecretAccessKey: "given-secret-given-secret"}); err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, testAccount, "ci", "/"); err != nil {
		b.Fatal(err)
	}
	if err := s.AttachPolicy(ctx, testAccount, meta.KindUser, "ci", "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"); err != nil {
		b.Fatal(err)
	}
	k, _, err := s.CreateAccessKey(ctx, testAccount, "ci")
	if err != nil {
		b.Fatal(err)
	}
	_, p, err := s.credential(ctx, k.ID, "")
	if err != nil {
		b.Fatal(err)
	}
	password, _ := s.IssueToken(p)
	resource := repoARN(testAccount, "app")
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p, err := s.VerifyToken(ctx, password)
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Authorize(ctx, Request{Principal: p, Action: "ecr:BatchGetImage", Resource: resource,
				ResourceAccount: testAccount, SourceIP: "127.0.0.1"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
