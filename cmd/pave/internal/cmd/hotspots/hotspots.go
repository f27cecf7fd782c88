// Package hotspots is pave hotspots: analyse photos you already have.
// One file per verb.
package hotspots

import (
	"github.com/spf13/cobra"

	"github.com/pave-go/pave/cmd/pave/internal/cmdutil"
)

// New returns pave hotspots.
func New(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.Group(&cobra.Command{
		Use:   "hotspots",
		Short: "Analyse photos you already have (Hotspots)",
		Long: `Hotspots analyses photos you already have: create a session, submit one
photo URL per standard view, then fetch the damages found on each photo with
their position in the image.

Labels: VIN, Interior, Cluster, Left, Front, Tires, Right, Rear,
Windshield, Front_Left, Front_Right, Rear_Right, Rear_Left (any case).`,
		Example: `  pave hotspots create --vin 1HGCV1F39LA012345
  pave hotspots upload NSA-7K2D5MZ8WP --photo front_left=https://cdn.example/fl.jpg --photo rear=https://cdn.example/r.jpg
  pave hotspots results NSA-7K2D5MZ8WP --wait --timeout 10m`,
	}, newCmdCreate(f), newCmdUpload(f), newCmdResults(f))
}
