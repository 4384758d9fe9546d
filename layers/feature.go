package layers

// The Feature methods give each layer's record in the layer-neutral form the
// map draws: the contract's property names (layers.md), typed as in the
// bundle (text string, measures float64, money int64, max_floors int,
// no_build bool, always present); an optional text or number appears only
// when the bundle gave it. Both stores and the API answer with these, so a
// feature reads the same whichever store holds it.

// Feature returns the parcel as a map feature.
func (p Parcel) Feature() Feature {
	props := map[string]any{"parcel_id": p.ID}
	if p.RegisteredArea != nil {
		props["registered_area_m2"] = *p.RegisteredArea
	}
	setText(props, "address", p.Address)
	setText(props, "address_fa", p.AddressFa)
	return Feature{Layer: Parcels, ID: p.ID, Properties: props, Geom: p.Geom}
}

// Feature returns the master-plan zone as a map feature.
func (z MasterZone) Feature() Feature {
	props := map[string]any{"zone_id": z.ID, "land_use": z.LandUse, "density_band": z.DensityBand}
	setText(props, "name", z.Name)
	setText(props, "name_fa", z.NameFa)
	return Feature{Layer: MasterPlan, ID: z.ID, Properties: props, Geom: z.Geom}
}

// Feature returns the detailed-plan zone as a map feature.
func (z DetailedZone) Feature() Feature {
	props := map[string]any{"zone_id": z.ID, "code": z.Code}
	setText(props, "name", z.Name)
	setText(props, "name_fa", z.NameFa)
	return Feature{Layer: DetailedPlan, ID: z.ID, Properties: props, Geom: z.Geom}
}

// Feature returns the street as a map feature.
func (s Street) Feature() Feature {
	props := map[string]any{"street_id": s.ID, "width_m": s.Width, "planned_width_m": s.PlannedWidth}
	setText(props, "name", s.Name)
	setText(props, "name_fa", s.NameFa)
	return Feature{Layer: Streets, ID: s.ID, Properties: props, Geom: s.Geom}
}

// Feature returns the overlay as a map feature.
func (o Overlay) Feature() Feature {
	props := map[string]any{"overlay_id": o.ID, "kind": o.Kind, "no_build": o.NoBuild}
	if o.MaxHeight != nil {
		props["max_height_m"] = *o.MaxHeight
	}
	if o.MaxFloors != nil {
		props["max_floors"] = *o.MaxFloors
	}
	setText(props, "name", o.Name)
	setText(props, "name_fa", o.NameFa)
	return Feature{Layer: Overlays, ID: o.ID, Properties: props, Geom: o.Geom}
}

// Feature returns the value block as a map feature.
func (b ValueBlock) Feature() Feature {
	props := map[string]any{"block_id": b.ID, "p_value": b.P,
		"tx_value_residential": b.TxResidential, "tx_value_commercial": b.TxCommercial}
	return Feature{Layer: ValueBlocks, ID: b.ID, Properties: props, Geom: b.Geom}
}

func setText(props map[string]any, key, val string) {
	if val != "" {
		props[key] = val
	}
}
