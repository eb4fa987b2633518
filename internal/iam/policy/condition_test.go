package policy

import "testing"

func TestConditions(t *testing.T) {
	type ctx = map[string][]string
	tests := []struct {
		name string
		cond string // the members of the Condition element
		ctx  ctx
		p    *Principal // alice if nil
		want bool
	}{
		// String.
		{"StringEquals", `"StringEquals":{"ecr:ResourceTag/team":"web"}`, ctx{"ecr:ResourceTag/team": {"web"}}, nil, true},
		{"StringEquals is case-sensitive", `"StringEquals":{"ecr:ResourceTag/team":"web"}`, ctx{"ecr:ResourceTag/team": {"Web"}}, nil, false},
		{"StringEquals missing key", `"StringEquals":{"ecr:ResourceTag/team":"web"}`, nil, nil, false},
		{"StringEquals values are ORed", `"StringEquals":{"ecr:ResourceTag/team":["db","web"]}`, ctx{"ecr:ResourceTag/team": {"web"}}, nil, true},
		{"StringEquals * is literal", `"StringEquals":{"ecr:ResourceTag/team":"w*"}`, ctx{"ecr:ResourceTag/team": {"web"}}, nil, false},
		{"StringEquals * literal match", `"StringEquals":{"ecr:ResourceTag/team":"w*"}`, ctx{"ecr:ResourceTag/team": {"w*"}}, nil, true},
		{"StringEquals key case-insensitive", `"StringEquals":{"ecr:resourcetag/TEAM":"web"}`, ctx{"ECR:ResourceTag/team": {"web"}}, nil, true},
		{"StringEquals empty value list", `"StringEquals":{"ecr:ResourceTag/team":"web"}`, ctx{"ecr:ResourceTag/team": {}}, nil, false},
		{"StringNotEquals NOR, one listed", `"StringNotEquals":{"ecr:ResourceTag/team":["db","web"]}`, ctx{"ecr:ResourceTag/team": {"web"}}, nil, false},
		{"StringNotEquals NOR, none listed", `"StringNotEquals":{"ecr:ResourceTag/team":["db","web"]}`, ctx{"ecr:ResourceTag/team": {"ops"}}, nil, true},
		{"StringNotEquals missing key", `"StringNotEquals":{"ecr:ResourceTag/team":"web"}`, nil, nil, true},
		{"StringEqualsIgnoreCase", `"StringEqualsIgnoreCase":{"ecr:ResourceTag/team":"WEB"}`, ctx{"ecr:ResourceTag/team": {"web"}}, nil, true},
		{"StringNotEqualsIgnoreCase", `"StringNotEqualsIgnoreCase":{"ecr:ResourceTag/team":"WEB"}`, ctx{"ecr:ResourceTag/team": {"web"}}, nil, false},
		{"StringNotEqualsIgnoreCase other", `"StringNotEqualsIgnoreCase":{"ecr:ResourceTag/team":"WEB"}`, ctx{"ecr:ResourceTag/team": {"db"}}, nil, true},
		{"StringLike *", `"StringLike":{"ecr:ResourceTag/team":"w*"}`, ctx{"ecr:ResourceTag/team": {"web"}}, nil, true},
		{"StringLike ?", `"StringLike":{"ecr:ResourceTag/team":"w?b"}`, ctx{"ecr:ResourceTag/team": {"web"}}, nil, true},
		{"StringLike ? is one character", `"StringLike":{"ecr:ResourceTag/team":"w?"}`, ctx{"ecr:ResourceTag/team": {"web"}}, nil, false},
		{"StringLike ? and UTF-8", `"StringLike":{"ecr:ResourceTag/team":"?b"}`, ctx{"ecr:ResourceTag/team": {"éb"}}, nil, true},
		{"StringLike is case-sensitive", `"StringLike":{"ecr:ResourceTag/team":"W*"}`, ctx{"ecr:ResourceTag/team": {"web"}}, nil, false},
		{"StringNotLike", `"StringNotLike":{"ecr:ResourceTag/team":["d*","w*"]}`, ctx{"ecr:ResourceTag/team": {"web"}}, nil, false},
		{"StringNotLike other", `"StringNotLike":{"ecr:ResourceTag/team":["d*","w*"]}`, ctx{"ecr:ResourceTag/team": {"ops"}}, nil, true},
		{"string variable", `"StringEquals":{"ecr:ResourceTag/owner":"${aws:username}"}`, ctx{"ecr:ResourceTag/owner": {"alice"}}, nil, true},
		{"string variable other", `"StringEquals":{"ecr:ResourceTag/owner":"${aws:username}"}`, ctx{"ecr:ResourceTag/owner": {"bob"}}, nil, false},
		{"StringLike variable", `"StringLike":{"ecr:ResourceTag/owner":"${aws:username}-*"}`, ctx{"ecr:ResourceTag/owner": {"alice-x"}}, nil, true},
		{"IgnoreCase variable", `"StringEqualsIgnoreCase":{"ecr:ResourceTag/owner":"team-${aws:username}"}`, ctx{"ecr:ResourceTag/owner": {"TEAM-ALICE"}}, nil, true},

		// Numeric.
		{"NumericEquals", `"NumericEquals":{"x:n":10}`, ctx{"x:n": {"10.0"}}, nil, true},
		{"NumericEquals other", `"NumericEquals":{"x:n":10}`, ctx{"x:n": {"11"}}, nil, false},
		{"NumericNotEquals", `"NumericNotEquals":{"x:n":["10","11"]}`, ctx{"x:n": {"12"}}, nil, true},
		{"NumericNotEquals listed", `"NumericNotEquals":{"x:n":["10","11"]}`, ctx{"x:n": {"11"}}, nil, false},
		{"NumericLessThan", `"NumericLessThan":{"x:n":"1.5"}`, ctx{"x:n": {"1.25"}}, nil, true},
		{"NumericLessThan equal", `"NumericLessThan":{"x:n":"1.5"}`, ctx{"x:n": {"1.5"}}, nil, false},
		{"NumericLessThanEquals", `"NumericLessThanEquals":{"x:n":"1.5"}`, ctx{"x:n": {"1.5"}}, nil, true},
		{"NumericGreaterThan", `"NumericGreaterThan":{"x:n":-2}`, ctx{"x:n": {"-1"}}, nil, true},
		{"NumericGreaterThan equal", `"NumericGreaterThan":{"x:n":-2}`, ctx{"x:n": {"-2"}}, nil, false},
		{"NumericGreaterThanEquals", `"NumericGreaterThanEquals":{"x:n":3600}`, ctx{"x:n": {"3600"}}, nil, true},
		{"Numeric bad request value", `"NumericLessThan":{"x:n":10}`, ctx{"x:n": {"five"}}, nil, false},
		{"Numeric missing key", `"NumericLessThan":{"x:n":10}`, nil, nil, false},

		// Date.
		{"DateLessThan", `"DateLessThan":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}`, ctx{"aws:CurrentTime": {"2024-05-31T23:59:59Z"}}, nil, true},
		{"DateLessThan later", `"DateLessThan":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}`, ctx{"aws:CurrentTime": {"2024-06-01T00:00:01Z"}}, nil, false},
		{"DateLessThan zones", `"DateLessThan":{"aws:CurrentTime":"2024-06-01T02:00:00+02:00"}`, ctx{"aws:CurrentTime": {"2024-05-31T23:30:00Z"}}, nil, true},
		{"DateLessThanEquals", `"DateLessThanEquals":{"aws:CurrentTime":"2024-06-01"}`, ctx{"aws:CurrentTime": {"2024-06-01T00:00:00Z"}}, nil, true},
		{"DateGreaterThan epoch policy", `"DateGreaterThan":{"aws:CurrentTime":"1717200000"}`, ctx{"aws:CurrentTime": {"2024-06-01T00:00:01Z"}}, nil, true},
		{"DateGreaterThan epoch request", `"DateGreaterThan":{"aws:EpochTime":"2024-06-01T00:00:00Z"}`, ctx{"aws:EpochTime": {"1717200001"}}, nil, true},
		{"DateGreaterThan epoch request earlier", `"DateGreaterThan":{"aws:EpochTime":"2024-06-01T00:00:00Z"}`, ctx{"aws:EpochTime": {"1717199999"}}, nil, false},
		{"DateGreaterThanEquals", `"DateGreaterThanEquals":{"aws:EpochTime":"2024-06-01T00:00:00Z"}`, ctx{"aws:EpochTime": {"1717200000"}}, nil, true},
		{"DateEquals fractions", `"DateEquals":{"aws:CurrentTime":"2024-06-01T00:00:00.500Z"}`, ctx{"aws:CurrentTime": {"1717200000.5"}}, nil, true},
		{"DateNotEquals", `"DateNotEquals":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}`, ctx{"aws:CurrentTime": {"2024-06-02T00:00:00Z"}}, nil, true},
		{"Date bad request value", `"DateNotEquals":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}`, ctx{"aws:CurrentTime": {"June"}}, nil, true},
		{"Date missing key", `"DateGreaterThan":{"aws:TokenIssueTime":"2024-06-01"}`, nil, nil, false},

		// Bool, Binary.
		{"Bool", `"Bool":{"aws:SecureTransport":"true"}`, ctx{"aws:SecureTransport": {"TRUE"}}, nil, true},
		{"Bool literal", `"Bool":{"aws:SecureTransport":true}`, ctx{"aws:SecureTransport": {"true"}}, nil, true},
		{"Bool false", `"Bool":{"aws:SecureTransport":"true"}`, ctx{"aws:SecureTransport": {"false"}}, nil, false},
		{"Bool missing key", `"Bool":{"aws:SecureTransport":"false"}`, nil, nil, false},
		{"BoolIfExists missing key", `"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}`, nil, nil, true},
		{"BoolIfExists present", `"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}`, ctx{"aws:MultiFactorAuthPresent": {"true"}}, nil, false},
		{"BinaryEquals", `"BinaryEquals":{"x:b":"QmluYXJ5"}`, ctx{"x:b": {"QmluYXJ5"}}, nil, true},
		{"BinaryEquals other", `"BinaryEquals":{"x:b":"QmluYXJ5"}`, ctx{"x:b": {"QmluYXJz"}}, nil, false},

		// IP addresses.
		{"IpAddress IPv4 CIDR", `"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}`, ctx{"aws:SourceIp": {"203.0.113.9"}}, nil, true},
		{"IpAddress IPv4 outside", `"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}`, ctx{"aws:SourceIp": {"203.0.114.9"}}, nil, false},
		{"IpAddress unmasked CIDR", `"IpAddress":{"aws:SourceIp":"203.0.113.77/24"}`, ctx{"aws:SourceIp": {"203.0.113.9"}}, nil, true},
		{"IpAddress single address", `"IpAddress":{"aws:SourceIp":"203.0.113.9"}`, ctx{"aws:SourceIp": {"203.0.113.9"}}, nil, true},
		{"IpAddress single address other", `"IpAddress":{"aws:SourceIp":"203.0.113.9"}`, ctx{"aws:SourceIp": {"203.0.113.10"}}, nil, false},
		{"IpAddress IPv6 CIDR", `"IpAddress":{"aws:SourceIp":"2001:DB8:1234::/48"}`, ctx{"aws:SourceIp": {"2001:db8:1234:5::1"}}, nil, true},
		{"IpAddress IPv6 outside", `"IpAddress":{"aws:SourceIp":"2001:DB8:1234::/48"}`, ctx{"aws:SourceIp": {"2001:db8:1235::1"}}, nil, false},
		{"IpAddress IPv4-mapped request", `"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}`, ctx{"aws:SourceIp": {"::ffff:10.1.2.3"}}, nil, true},
		{"IpAddress IPv4 policy, IPv6 request", `"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}`, ctx{"aws:SourceIp": {"2001:db8::1"}}, nil, false},
		{"IpAddress bad request value", `"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}`, ctx{"aws:SourceIp": {"10.1"}}, nil, false},
		{"NotIpAddress", `"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}`, ctx{"aws:SourceIp": {"8.8.8.8"}}, nil, true},
		{"NotIpAddress inside", `"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}`, ctx{"aws:SourceIp": {"192.168.1.1"}}, nil, false},
		{"NotIpAddress missing key", `"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}`, nil, nil, true},

		// ARNs.
		{"ArnLike", `"ArnLike":{"aws:SourceArn":"arn:aws:ecr:*:111111111111:repository/*"}`, ctx{"aws:SourceArn": {repoApp}}, nil, true},
		{"ArnLike part by part", `"ArnLike":{"aws:SourceArn":"arn:aws:ecr:*:111111111111:repository/*"}`, ctx{"aws:SourceArn": {"arn:aws:ecr:us-east-1:1:111111111111:repository/x"}}, nil, false},
		{"ArnLike resource part keeps colons", `"ArnLike":{"aws:SourceArn":"arn:aws:logs:*:*:log-group:app:*"}`, ctx{"aws:SourceArn": {"arn:aws:logs:us-east-1:1:log-group:app:log-stream:x"}}, nil, true},
		{"ArnLike not an ARN", `"ArnLike":{"aws:SourceArn":"arn:aws:ecr:*:*:*"}`, ctx{"aws:SourceArn": {"app"}}, nil, false},
		{"ArnLike * alone", `"ArnLike":{"aws:SourceArn":"*"}`, ctx{"aws:SourceArn": {"app"}}, nil, true},
		{"ArnEquals wildcards", `"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/build*"}`, nil, &session, true},
		{"ArnEquals is case-sensitive", `"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/Builder"}`, nil, &session, false},
		{"ArnNotEquals", `"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/builder"}`, nil, &session, false},
		{"ArnNotLike", `"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}`, nil, nil, true},
		{"ArnLike variable in a part", `"ArnLike":{"aws:SourceArn":"arn:aws:ecr:*:${aws:PrincipalAccount}:repository/*"}`, ctx{"aws:SourceArn": {repoApp}}, nil, true},
		{"ArnEquals whole variable", `"ArnEquals":{"aws:SourceArn":"${aws:PrincipalArn}"}`, ctx{"aws:SourceArn": {"arn:aws:iam::111111111111:user/alice"}}, nil, true},

		// Null, IfExists.
		{"Null true, absent", `"Null":{"aws:TokenIssueTime":"true"}`, nil, nil, true},
		{"Null true, present", `"Null":{"aws:TokenIssueTime":"true"}`, ctx{"aws:TokenIssueTime": {"2024-06-01T00:00:00Z"}}, nil, false},
		{"Null false, present", `"Null":{"aws:TokenIssueTime":false}`, ctx{"aws:TokenIssueTime": {"2024-06-01T00:00:00Z"}}, nil, true},
		{"Null false, absent", `"Null":{"aws:TokenIssueTime":"false"}`, nil, nil, false},
		{"Null false, empty", `"Null":{"aws:TagKeys":"false"}`, ctx{"aws:TagKeys": {}}, nil, false},
		{"Null derived key", `"Null":{"aws:username":"false"}`, nil, nil, true},
		{"Null derived key of a session", `"Null":{"aws:username":"true"}`, nil, &session, true},
		{"StringEqualsIfExists absent", `"StringEqualsIfExists":{"ecr:ResourceTag/team":"web"}`, nil, nil, true},
		{"StringEqualsIfExists present", `"StringEqualsIfExists":{"ecr:ResourceTag/team":"web"}`, ctx{"ecr:ResourceTag/team": {"db"}}, nil, false},
		{"StringNotEqualsIfExists present", `"StringNotEqualsIfExists":{"ecr:ResourceTag/team":"web"}`, ctx{"ecr:ResourceTag/team": {"web"}}, nil, false},
		{"NumericLessThanIfExists absent", `"NumericLessThanIfExists":{"aws:MultiFactorAuthAge":"3600"}`, nil, nil, true},
		{"IpAddressIfExists present", `"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}`, ctx{"aws:SourceIp": {"10.0.0.1"}}, nil, true},

		// Multi-valued keys.
		{"ForAnyValue one shared", `"ForAnyValue:StringEquals":{"aws:TagKeys":["b","c"]}`, ctx{"aws:TagKeys": {"a", "b"}}, nil, true},
		{"ForAnyValue none shared", `"ForAnyValue:StringEquals":{"aws:TagKeys":["b","c"]}`, ctx{"aws:TagKeys": {"a"}}, nil, false},
		{"ForAnyValue missing key", `"ForAnyValue:StringEquals":{"aws:TagKeys":["b","c"]}`, nil, nil, false},
		{"ForAnyValue negated", `"ForAnyValue:StringNotEquals":{"aws:TagKeys":"a"}`, ctx{"aws:TagKeys": {"a", "b"}}, nil, true},
		{"ForAnyValue negated all listed", `"ForAnyValue:StringNotEquals":{"aws:TagKeys":"a"}`, ctx{"aws:TagKeys": {"a"}}, nil, false},
		{"ForAllValues subset", `"ForAllValues:StringEquals":{"aws:TagKeys":["a","b","c"]}`, ctx{"aws:TagKeys": {"a", "b"}}, nil, true},
		{"ForAllValues not subset", `"ForAllValues:StringEquals":{"aws:TagKeys":["a","b","c"]}`, ctx{"aws:TagKeys": {"a", "d"}}, nil, false},
		{"ForAllValues missing key", `"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}`, nil, nil, true},
		{"ForAllValues empty", `"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}`, ctx{"aws:TagKeys": {}}, nil, true},
		{"ForAllValues StringNotLike matching", `"ForAllValues:StringNotLike":{"aws:TagKeys":"key1*"}`, ctx{"aws:TagKeys": {"key1:hr", "key1:personnel"}}, nil, false},
		{"ForAllValues StringNotLike mixed", `"ForAllValues:StringNotLike":{"aws:TagKeys":"key1*"}`, ctx{"aws:TagKeys": {"key1:hr", "key2:audit"}}, nil, false},
		{"ForAllValues StringNotLike none", `"ForAllValues:StringNotLike":{"aws:TagKeys":"key1*"}`, ctx{"aws:TagKeys": {"key2:audit"}}, nil, true},
		{"ForAllValues StringNotLike missing", `"ForAllValues:StringNotLike":{"aws:TagKeys":"key1*"}`, nil, nil, true},
		{"no set operator, positive, any value", `"StringEquals":{"aws:TagKeys":"b"}`, ctx{"aws:TagKeys": {"a", "b"}}, nil, true},
		{"no set operator, negated, a value listed", `"StringNotEquals":{"aws:TagKeys":"b"}`, ctx{"aws:TagKeys": {"a", "b"}}, nil, false},
		{"no set operator, negated, none listed", `"StringNotEquals":{"aws:TagKeys":"b"}`, ctx{"aws:TagKeys": {"a", "c"}}, nil, true},

		// Combination.
		{"keys are ANDed", `"StringEquals":{"ecr:ResourceTag/team":"web","ecr:ResourceTag/env":"prod"}`, ctx{"ecr:ResourceTag/team": {"web"}, "ecr:ResourceTag/env": {"dev"}}, nil, false},
		{"operators are ANDed", `"StringEquals":{"ecr:ResourceTag/team":"web"},"Bool":{"aws:SecureTransport":"true"}`, ctx{"ecr:ResourceTag/team": {"web"}, "aws:SecureTransport": {"true"}}, nil, true},
		{"operators are ANDed, one false", `"StringEquals":{"ecr:ResourceTag/team":"web"},"Bool":{"aws:SecureTransport":"true"}`, ctx{"ecr:ResourceTag/team": {"web"}, "aws:SecureTransport": {"false"}}, nil, false},

		// Keys derived from the principal.
		{"aws:PrincipalArn of a user", `"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111111111111:user/alice"}`, nil, nil, true},
		{"aws:PrincipalArn of a session is its role", `"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/builder"}`, nil, &session, true},
		{"aws:PrincipalAccount", `"StringEquals":{"aws:PrincipalAccount":"111111111111"}`, nil, nil, true},
		{"aws:PrincipalType", `"StringEquals":{"aws:PrincipalType":"AssumedRole"}`, nil, &session, true},
		{"aws:userid", `"StringLike":{"aws:userid":"AROABUILDER:*"}`, nil, &session, true},
		{"aws:username", `"StringEquals":{"aws:username":"alice"}`, nil, nil, true},
		{"aws:PrincipalOrgID", `"StringEquals":{"aws:PrincipalOrgID":"o-abc"}`, nil, nil, true},
		{"aws:PrincipalOrgID absent", `"StringEquals":{"aws:PrincipalOrgID":"o-abc"}`, nil, &bob, false},
		{"aws:PrincipalType of anonymous", `"StringEquals":{"aws:PrincipalType":"Anonymous"}`, nil, &anon, true},
		{"aws:PrincipalAccount of anonymous", `"Null":{"aws:PrincipalAccount":"true"}`, nil, &anon, true},
		{"context overrides derived key", `"StringEquals":{"aws:PrincipalOrgID":"o-xyz"}`, ctx{"aws:principalorgid": {"o-xyz"}}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustParse(t, doc(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{`+tt.cond+`}}`), Identity)
			p := alice
			if tt.p != nil {
				p = *tt.p
			}
			r := d.Evaluate(&Request{Principal: p, Action: "ecr:PutImage", Resource: repoApp, Context: tt.ctx})
			if got := r.Allow == MatchPrincipal; got != tt.want {
				t.Errorf("condition = %v, want %v", got, tt.want)
			}
		})
	}
}
