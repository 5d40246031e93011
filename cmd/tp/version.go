package main

import (
	"github.com/spf13/cobra"
	"github.com/tensorpool/tensorpool/internal/version"
)

func newVersionCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, the protocol versions spoken and the pinned Aeron version",
		Long: `version prints the tensorpool version of this binary, the Go toolchain that
built it, the spec and SBE schema version of each protocol it speaks (wire,
driver, bridge, discovery) and the Aeron media driver version it is tested
against. tp-driver --version prints the same.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := version.Get()
			if asJSON {
				return info.WriteJSON(cmd.OutOrStdout())
			}
			return info.Write(cmd.OutOrStdout(), "tp")
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}
