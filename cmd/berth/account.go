package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"text/tabwriter"
	"time"

	"github.com/berth-registry/berth/internal/config"
	"github.com/berth-registry/berth/internal/iam"
	"github.com/berth-registry/berth/internal/meta"
	"github.com/spf13/cobra"
)

func accountCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "account",
		Short: "Manage the organization's accounts (each with its own IAM and registry)",
		Long: `Manage the accounts of the registry's organization, as AWS Organizations does: each
account has its own root, its own IAM users, roles and policies, and its own registry.
The default account, created on first start, is the management account.

These commands work on the registry's data directory (or metadata store) directly, with
the same settings as berth serve (--data-dir, --config, BERTH_* variables); a running
server sees their changes within a second. The Organizations API (aws organizations
create-account) does the same over the network.`,
	}
	cmd.AddCommand(accountCreateCommand(), accountListCommand(), accountSetHostCommand())
	return cmd
}

func accountSetHostCommand() *cobra.Command {
	var cfg config.Config
	cmd := &cobra.Command{
		Use:   "set-registry-host ACCOUNT HOST",
		Short: `Set the host (and port) clients use for an account's registry ("" to clear it)`,
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withIdentities(cmd, &cfg, func(ctx context.Context, _ *iam.Service, store meta.Store) error {
				acct, err := store.GetAccount(ctx, args[0])
				if errors.Is(err, meta.ErrNotFound) {
					return fmt.Errorf("no account %s (berth account list shows them)", args[0])
				}
				if err != nil {
					return err
				}
				if acct.Default {
					return errors.New("the default account's registry host is berth serve's --registry-host")
				}
				if err := store.SetRegistryHost(ctx, acct.ID, args[1]); errors.Is(err, meta.ErrConflict) {
					return fmt.Errorf("another account's registry is at %s", args[1])
				} else if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Account %s's registry is at %q.\n", acct.ID, args[1])
				return nil
			})
		},
	}
	cfg.RegisterFlags(cmd.Flags())
	return cmd
}

func accountCreateCommand() *cobra.Command {
	var cfg config.Config
	var name, email, host, role string
	var noRootKey bool
	cmd := &cobra.Command{
		Use:   "create --name NAME --email EMAIL",
		Short: "Create an account with its registry, its root access key and OrganizationAccountAccessRole",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" || email == "" {
				return errors.New("--name and --email are required")
			}
			return withIdentities(cmd, &cfg, func(ctx context.Context, s *iam.Service, _ meta.Store) error {
				m, err := s.CreateMemberAccount(ctx, name, email, role, host, !noRootKey)
				if errors.Is(err, meta.ErrConflict) {
					return fmt.Errorf("an account with email %q or registry host %q exists already", email, host)
				}
				if err != nil {
					return err
				}
				printAccount(cmd.OutOrStdout(), s.Organization(), m)
				return nil
			})
		},
	}
	cfg.RegisterFlags(cmd.Flags())
	cmd.Flags().StringVar(&name, "name", "", "the account's name")
	cmd.Flags().StringVar(&email, "email", "", "the account's email address (unique among accounts)")
	cmd.Flags().StringVar(&host, "account-registry-host", "", "host (and port) clients use for the new account's registry; /v2 requests to it go to this account")
	cmd.Flags().StringVar(&role, "role-name", iam.DefaultOrganizationRole, "the role in the new account that the management account may assume")
	cmd.Flags().BoolVar(&noRootKey, "no-root-key", false, "do not create an access key for the new account's root")
	return cmd
}

func printAccount(out io.Writer, org iam.Organization, m iam.MemberAccount) {
	a := m.Account
	fmt.Fprintf(out, "Created account %s (%s, %s) in organization %s.\n", a.ID, a.Name, a.Email, org.ID)
	if a.RegistryHost != "" {
		fmt.Fprintf(out, "Its registry is at %s.\n", a.RegistryHost)
	}
	fmt.Fprintf(out, "The management account %s may assume %s.\n", org.MasterAccountID,
		iam.EntityARN(a.ID, "role", "/", m.RoleName))
	if m.RootAccessKeyID != "" {
		fmt.Fprintf(out, "Root credentials of the account (shown only this once):\n  AWS_ACCESS_KEY_ID=%s\n  AWS_SECRET_ACCESS_KEY=%s\n",
			m.RootAccessKeyID, m.RootSecretAccessKey)
	}
}

func accountListCommand() *cobra.Command {
	var cfg config.Config
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the organization's accounts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withIdentities(cmd, &cfg, func(ctx context.Context, s *iam.Service, store meta.Store) error {
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ACCOUNT\tNAME\tEMAIL\tREGISTRY HOST\tCREATED")
				after := ""
				for {
					accts, err := store.ListAccounts(ctx, after, 100)
					if err != nil {
						return err
					}
					for _, a := range accts {
						mark := ""
						if a.Default {
							mark = " (management)"
						}
						fmt.Fprintf(tw, "%s\t%s%s\t%s\t%s\t%s\n", a.ID, a.Name, mark, a.Email, a.RegistryHost,
							a.CreatedAt.UTC().Format(time.RFC3339))
					}
					if len(accts) < 100 {
						return tw.Flush()
					}
					after = accts[len(accts)-1].ID
				}
			})
		},
	}
	cfg.RegisterFlags(cmd.Flags())
	return cmd
}

// withIdentities opens the registry's metadata store and identity service, as berth
// serve configures them, for fn.
func withIdentities(cmd *cobra.Command, cfg *config.Config, fn func(context.Context, *iam.Service, meta.Store) error) error {
	if err := config.Resolve(cmd.Flags(), os.LookupEnv); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration: %w", err)
	}
	ctx := cmd.Context()
	store, err := openMetadata(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := checkSharedMasterKey(ctx, cfg, store); err != nil {
		return err
	}
	masterKey, err := iam.LoadMasterKey(cfg.MasterKey, cfg.MasterKeyPath())
	if err != nil {
		return err
	}
	keys, err := iam.NewKeyring(masterKey)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := iam.NewService(store, keys, iam.Options{Region: cfg.Region}, log)
	if _, err := s.UseDefaultAccount(ctx); err != nil {
		return fmt.Errorf("no default account yet (start berth serve once first): %w", err)
	}
	return fn(ctx, s, store)
}
