package e2e

// Signing clients: cosign (local key, no transparency log) and notation (local test certificate).

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// ---------------------------------------------------------------------------------------------------
// Signing: cosign and notation

const emptyTrustedRoot = `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`

func TestClientCosign(t *testing.T) {
	t.Parallel()
	host, cred := sharedRegistry(t)
	reg := newRegistry(host, cred)
	c := newClientEnv(t)
	repo := repoPrefix("cosign") + "/app"
	img := newImage(t, map[string][]byte{"hello.txt": []byte("hello from cosign " + randomHex(8) + "\n")})
	dig := reg.pushImage(t, repo, "v1", img)
	ref := host + "/" + repo + "@" + dig
	// Keys are generated locally; no Rekor, no Fulcio. An empty trusted root stops verify from fetching
	// the public sigstore TUF root, so nothing leaves the machine.
	signEnv := runOpts{env: []string{"COSIGN_PASSWORD=", "COSIGN_YES=true"}}
	c.runWith(t, signEnv, "cosign", "generate-key-pair")
	c.runWith(t, signEnv, "cosign", "generate-key-pair", "--output-key-prefix", "other")
	writeFile(t, filepath.Join(c.Dir, "trusted-root.json"), []byte(emptyTrustedRoot))
	verifyArgs := func(key string, extra ...string) []string {
		return append([]string{"verify", "--key", key, "--trusted-root", "trusted-root.json", "--insecure-ignore-tlog=true",
			"--allow-http-registry"}, append(extra, ref)...)
	}
	sigTag := "sha256-" + strings.TrimPrefix(dig, "sha256:") + ".sig"
	// cosign login writes the docker configuration ($DOCKER_CONFIG/config.json), which cosign reads.
	c.login(t, cred, "cosign", "login", host, "--username", cred.User, "--password-stdin")

	t.Run("sign", func(t *testing.T) {
		c.runWith(t, signEnv, "cosign", "sign", "--key", "cosign.key", "--tlog-upload=false", "--allow-http-registry", ref)
		if reg.headManifest(t, repo, sigTag) == "" {
			t.Fatalf("no signature at tag %s after cosign sign", sigTag)
		}
		m := reg.manifest(t, repo, sigTag)
		if len(m.Layers) == 0 || m.Layers[0].MediaType != "application/vnd.dev.cosign.simplesigning.v1+json" {
			t.Fatalf("signature manifest layers %+v", m.Layers)
		}
	})
	t.Run("verify", func(t *testing.T) {
		out := c.run(t, "cosign", verifyArgs("cosign.pub")...)
		if !strings.Contains(out, dig) {
			t.Fatalf("cosign verify output does not name %s:\n%s", dig, out)
		}
	})
	t.Run("verify with another key fails", func(t *testing.T) {
		r := c.try(t, runOpts{}, "cosign", verifyArgs("other.pub")...)
		if r.Err == nil {
			t.Fatalf("cosign verify accepted a signature made with a different key:\n%s", r)
		}
		// It must fail on the signature, not earlier (on the registry's credentials, say).
		if !strings.Contains(r.Stderr, "no matching signatures") {
			t.Fatalf("cosign verify failed, but not because the signature does not match:\n%s", r)
		}
	})
	t.Run("sign with OCI 1.1 referrers", func(t *testing.T) {
		c.runWith(t, runOpts{env: []string{"COSIGN_PASSWORD=", "COSIGN_YES=true", "COSIGN_EXPERIMENTAL=1"}},
			"cosign", "sign", "--key", "cosign.key", "--tlog-upload=false", "--allow-http-registry", "--registry-referrers-mode=oci-1-1", ref)
		refs := reg.referrers(t, repo, dig)
		if !slices.ContainsFunc(refs, func(d descriptor) bool { return d.ArtifactType == "application/vnd.dev.cosign.artifact.sig.v1+json" }) {
			t.Fatalf("referrers of %s do not include a cosign signature: %+v", dig, refs)
		}
	})
	t.Run("verify with OCI 1.1 referrers", func(t *testing.T) {
		c.runWith(t, runOpts{env: []string{"COSIGN_EXPERIMENTAL=1"}}, "cosign", verifyArgs("cosign.pub", "--experimental-oci11")...)
	})
}

func TestClientNotation(t *testing.T) {
	t.Parallel()
	host, cred := sharedRegistry(t)
	reg := newRegistry(host, cred)
	c := newClientEnv(t)
	repo := repoPrefix("notation") + "/app"
	img := newImage(t, map[string][]byte{"hello.txt": []byte("hello from notation " + randomHex(8) + "\n")})
	dig := reg.pushImage(t, repo, "v1", img)
	unsigned := newImage(t, map[string][]byte{"other.txt": []byte(randomHex(8))})
	unsignedDig := reg.pushImage(t, repo, "unsigned", unsigned)
	ref := host + "/" + repo + "@" + dig
	// A local test key and self-signed certificate in the private XDG_CONFIG_HOME trust store.
	c.run(t, "notation", "cert", "generate-test", "--default", "e2e.example")
	writeFile(t, filepath.Join(c.Dir, "trustpolicy.json"), []byte(`{"version":"1.0","trustPolicies":[{"name":"e2e","registryScopes":["*"],`+
		`"signatureVerification":{"level":"strict"},"trustStores":["ca:e2e.example"],"trustedIdentities":["*"]}]}`))
	c.run(t, "notation", "policy", "import", "--force", "trustpolicy.json")
	// notation login refuses to store a password without a credential helper, so the credentials go
	// where every notation command reads them without one: $NOTATION_USERNAME and $NOTATION_PASSWORD
	// (the defaults of --username and --password).
	if !cred.anonymous() {
		c.env = append(c.env, "NOTATION_USERNAME="+cred.User, "NOTATION_PASSWORD="+cred.Password)
	}
	var sigDigest string

	t.Run("sign with the referrers API", func(t *testing.T) {
		c.run(t, "notation", "sign", "--insecure-registry", "--force-referrers-tag=false", ref)
		refs := reg.referrers(t, repo, dig)
		for _, d := range refs {
			if d.ArtifactType == "application/vnd.cncf.notary.signature" {
				sigDigest = d.Digest
			}
		}
		if sigDigest == "" {
			t.Fatalf("referrers of %s do not include a notation signature: %+v", dig, refs)
		}
		// With a referrers API notation must not need the sha256-<hex> fallback tag.
		assertTags(t, reg, repo, "unsigned", "v1")
	})
	t.Run("list", func(t *testing.T) {
		out := c.run(t, "notation", "ls", "--insecure-registry", ref)
		if sigDigest == "" || !strings.Contains(out, sigDigest) {
			t.Fatalf("notation ls does not list signature %q:\n%s", sigDigest, out)
		}
	})
	t.Run("verify", func(t *testing.T) {
		c.run(t, "notation", "verify", "--insecure-registry", ref)
	})
	t.Run("verify unsigned fails", func(t *testing.T) {
		r := c.try(t, runOpts{}, "notation", "verify", "--insecure-registry", host+"/"+repo+"@"+unsignedDig)
		if r.Err == nil {
			t.Fatalf("notation verify accepted an unsigned image:\n%s", r)
		}
		// It must fail because there is no signature, not earlier (on the registry's credentials, say).
		if !strings.Contains(r.Stderr, "no signature is associated") {
			t.Fatalf("notation verify failed, but not because the image is unsigned:\n%s", r)
		}
	})
}
