package citygen

// The planted features live in a window of cells at the south-west of the
// city (columns 0–11, rows 0–3), which exists at every size, so every
// notable parcel exists for every seed. Elsewhere the city is drawn freely.
const (
	windowCols = 12
	windowRows = 4
)

type cell struct{ i, j int }

var (
	plantStrip      = cell{1, 0} // a front strip wholly inside the widened boulevard
	plantWidened    = cell{2, 0} // parcels cut by the boulevard's widening
	plantMulti      = cell{3, 0} // a parcel in two pieces
	plantLandlocked = cell{4, 0} // an L-shaped parcel (front row), a landlocked one (back row)
	plantNotch      = cell{0, 1} // a parcel outside every value block
	plantStraddle   = cell{1, 1} // a detailed-plan line crossing parcels
	plantValueSplit = cell{2, 1} // a value-block line crossing parcels
	plantLotCaps    = cell{6, 1} // one parcel at each lot-cap step, big lots behind
	plantSliver     = cell{7, 1} // a zone edge 8 cm into the front parcels
	plantFault      = cell{9, 1} // the fault's edge clips a parcel corner
	plantAirportLow = cell{8, 3} // a height cap below one floor
)

// Parcel positions inside the planted blocks.
const (
	plantStripCell      = 2 // front-row cell of the strip
	plantLCell          = 1 // front-row cells 1 and 2 make the L
	plantLandlockedCell = 2 // back-row cell split into front and landlocked back
	plantMultiFront     = 1 // front-row cell of the two-piece parcel
	plantMultiBack      = 1 // back-row cell (second from the east) of its other piece
	plantFaultCell      = 2 // front-row cell whose east corner the fault clips
)

// blockPlant is what a block must contain on purpose.
type blockPlant struct {
	planted  bool
	lotCaps  bool
	specials []special
}

func plantAt(i, j int) blockPlant {
	if i >= windowCols || j >= windowRows {
		return blockPlant{}
	}
	// Every window block is planted: no drawn oddities disturb the planted
	// ones.
	p := blockPlant{planted: true}
	switch (cell{i, j}) {
	case plantStrip:
		p.specials = []special{{kind: lotStrip, row: 0, k: plantStripCell}}
	case plantMulti:
		p.specials = []special{{kind: lotMulti, row: 0, k: plantMultiFront, kb: plantMultiBack}}
	case plantLandlocked:
		p.specials = []special{
			{kind: lotL, row: 0, k: plantLCell},
			{kind: lotLandlocked, row: 1, k: plantLandlockedCell},
		}
	case plantLotCaps:
		p.lotCaps = true
	}
	return p
}
