package policy

import "strings"

// AWS's MalformedPolicyDocument messages. Most come from IAM (as recorded by
// moto's validator, which was written against it, and by CloudTrail); where IAM
// has no message of its own for a rule the nearest one it uses is reused.
const (
	msgSyntax             = "Syntax errors in policy."
	msgVersion            = "Policy document must be version 2012-10-17 or greater."
	msgLegacy             = "The policy failed legacy parsing"
	msgSidUnique          = "Statement IDs (SID) in a single policy must be unique."
	msgSidAlnum           = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	msgNoActions          = "Policy statement must contain actions."
	msgNoResources        = "Policy statement must contain resources."
	msgVendor             = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgOneColon           = "Actions/Condition can contain only one colon."
	msgResourceVendor     = "Resource vendor must be fully qualified and cannot contain regexes."
	msgPrincipalForbidden = "Policy document should not specify a principal."
	msgPrincipalMissing   = "Missing required field Principal"
	msgTrustResource      = "Has prohibited field Resource"
	msgTrustNotResource   = "AssumeRole policy must not contain resources."
	msgTrustNotPrincipal  = "AssumeRole policy must not contain NotPrincipal field."
	msgTrustAction        = "AssumeRole policy may only specify STS AssumeRole actions."
	msgIAMPath            = `IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.`
)

func msgVendorInvalid(vendor string) string { return "Vendor " + vendor + " is not valid" }

func msgResourceFormat(r string) string { return "Resource " + r + ` must be in ARN format or "*".` }

func msgIAMRegion(r string) string {
	return "IAM resource " + r + " cannot contain region information."
}

func msgS3Region(r string) string { return "Resource " + r + " can not contain region information." }

func msgPartition(p, arn string) string {
	return `Partition "` + p + `" is not valid for resource "` + arn + `".`
}

func msgInvalidPrincipal(key, value string) string {
	return `Invalid principal in policy: "` + key + `":"` + value + `"`
}

// validPartition reports whether IAM accepts p as the partition of a resource ARN.
func validPartition(p string) bool {
	switch p {
	case "*", "aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc":
		return true
	}
	return false
}

// resourceFormat checks a Resource value the way IAM does and returns its
// message, or "".
func resourceFormat(r string) string {
	if r == "*" {
		return ""
	}
	// Like IAM, only the shape after the first colon is checked.
	_, rest, ok := strings.Cut(r, ":")
	if !ok {
		return msgResourceFormat(r)
	}
	partition, rest, ok := strings.Cut(rest, ":")
	if !validPartition(partition) {
		// IAM shows the ARN it tried to read, with * for missing parts.
		parts := strings.Split(rest, ":")
		part := func(i int) string {
			if i < len(parts) && (parts[i] != "" || len(parts) > 1) {
				return parts[i]
			}
			return "*"
		}
		last := "*"
		if len(parts) > 3 {
			last = strings.Join(parts[3:], ":")
		}
		return msgPartition(partition, "arn:"+partition+":"+part(0)+":"+part(1)+":"+part(2)+":"+last)
	}
	if !ok {
		return msgResourceVendor
	}
	service, afterService, _ := strings.Cut(rest, ":")
	_, afterRegion, _ := strings.Cut(afterService, ":")
	_, resourceID, _ := strings.Cut(afterRegion, ":")
	regionless := strings.HasPrefix(afterService, ":")
	switch service {
	case "iam":
		if !regionless {
			return msgIAMRegion(r)
		}
		if resourceID == "*" {
			return ""
		}
		for _, start := range [...]string{"user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/", "server-certificate/", "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/", "report/", "access-report/"} {
			if strings.HasPrefix(resourceID, start) {
				return ""
			}
		}
		return msgIAMPath
	case "s3":
		if !regionless && !strings.HasPrefix(resourceID, "accesspoint/") {
			return msgS3Region(r)
		}
	}
	return ""
}

// actionFormat checks an action: "*" or "<service>:<pattern>", the service made
// of letters, digits, hyphens and dots, without wildcards.
func actionFormat(a string) string {
	if a == "*" {
		return ""
	}
	vendor, _, ok := strings.Cut(a, ":")
	switch {
	case !ok || vendor == "":
		return msgVendor
	case strings.Count(a, ":") > 1:
		return msgOneColon
	}
	for i := 0; i < len(vendor); i++ {
		c := vendor[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '.') {
			return msgVendorInvalid(vendor)
		}
	}
	return ""
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}
