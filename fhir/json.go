// JSON methods: each resource writes its resourceType and refuses another on read.

package fhir

import "encoding/json"

// MarshalJSON writes the resource with its resourceType.
func (x *Patient) MarshalJSON() ([]byte, error) {
	type plain Patient
	return marshalTyped("Patient", (*plain)(x))
}

// UnmarshalJSON refuses JSON of another resourceType.
func (x *Patient) UnmarshalJSON(data []byte) error {
	type plain Patient
	var v struct {
		ResourceType *string `json:"resourceType"`
		plain
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	if err := checkType(v.ResourceType, "Patient"); err != nil {
		return err
	}
	*x = Patient(v.plain)
	return nil
}

// MarshalJSON writes the resource with its resourceType.
func (x *MedicationRequest) MarshalJSON() ([]byte, error) {
	type plain MedicationRequest
	return marshalTyped("MedicationRequest", (*plain)(x))
}

// UnmarshalJSON refuses JSON of another resourceType.
func (x *MedicationRequest) UnmarshalJSON(data []byte) error {
	type plain MedicationRequest
	var v struct {
		ResourceType *string `json:"resourceType"`
		plain
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	if err := checkType(v.ResourceType, "MedicationRequest"); err != nil {
		return err
	}
	*x = MedicationRequest(v.plain)
	return nil
}

// MarshalJSON writes the resource with its resourceType.
func (x *MedicationStatement) MarshalJSON() ([]byte, error) {
	type plain MedicationStatement
	return marshalTyped("MedicationStatement", (*plain)(x))
}

// UnmarshalJSON refuses JSON of another resourceType.
func (x *MedicationStatement) UnmarshalJSON(data []byte) error {
	type plain MedicationStatement
	var v struct {
		ResourceType *string `json:"resourceType"`
		plain
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	if err := checkType(v.ResourceType, "MedicationStatement"); err != nil {
		return err
	}
	*x = MedicationStatement(v.plain)
	return nil
}

// MarshalJSON writes the resource with its resourceType.
func (x *AllergyIntolerance) MarshalJSON() ([]byte, error) {
	type plain AllergyIntolerance
	return marshalTyped("AllergyIntolerance", (*plain)(x))
}

// UnmarshalJSON refuses JSON of another resourceType.
func (x *AllergyIntolerance) UnmarshalJSON(data []byte) error {
	type plain AllergyIntolerance
	var v struct {
		ResourceType *string `json:"resourceType"`
		plain
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	if err := checkType(v.ResourceType, "AllergyIntolerance"); err != nil {
		return err
	}
	*x = AllergyIntolerance(v.plain)
	return nil
}

// MarshalJSON writes the resource with its resourceType.
func (x *Condition) MarshalJSON() ([]byte, error) {
	type plain Condition
	return marshalTyped("Condition", (*plain)(x))
}

// UnmarshalJSON refuses JSON of another resourceType.
func (x *Condition) UnmarshalJSON(data []byte) error {
	type plain Condition
	var v struct {
		ResourceType *string `json:"resourceType"`
		plain
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	if err := checkType(v.ResourceType, "Condition"); err != nil {
		return err
	}
	*x = Condition(v.plain)
	return nil
}

// MarshalJSON writes the resource with its resourceType.
func (x *Observation) MarshalJSON() ([]byte, error) {
	type plain Observation
	return marshalTyped("Observation", (*plain)(x))
}

// UnmarshalJSON refuses JSON of another resourceType.
func (x *Observation) UnmarshalJSON(data []byte) error {
	type plain Observation
	var v struct {
		ResourceType *string `json:"resourceType"`
		plain
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	if err := checkType(v.ResourceType, "Observation"); err != nil {
		return err
	}
	*x = Observation(v.plain)
	return nil
}

// MarshalJSON writes the resource with its resourceType.
func (x *Encounter) MarshalJSON() ([]byte, error) {
	type plain Encounter
	return marshalTyped("Encounter", (*plain)(x))
}

// UnmarshalJSON refuses JSON of another resourceType.
func (x *Encounter) UnmarshalJSON(data []byte) error {
	type plain Encounter
	var v struct {
		ResourceType *string `json:"resourceType"`
		plain
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	if err := checkType(v.ResourceType, "Encounter"); err != nil {
		return err
	}
	*x = Encounter(v.plain)
	return nil
}

// MarshalJSON writes the resource with its resourceType.
func (x *ServiceRequest) MarshalJSON() ([]byte, error) {
	type plain ServiceRequest
	return marshalTyped("ServiceRequest", (*plain)(x))
}

// UnmarshalJSON refuses JSON of another resourceType.
func (x *ServiceRequest) UnmarshalJSON(data []byte) error {
	type plain ServiceRequest
	var v struct {
		ResourceType *string `json:"resourceType"`
		plain
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	if err := checkType(v.ResourceType, "ServiceRequest"); err != nil {
		return err
	}
	*x = ServiceRequest(v.plain)
	return nil
}

// MarshalJSON writes the resource with its resourceType.
func (x *DocumentReference) MarshalJSON() ([]byte, error) {
	type plain DocumentReference
	return marshalTyped("DocumentReference", (*plain)(x))
}

// UnmarshalJSON refuses JSON of another resourceType.
func (x *DocumentReference) UnmarshalJSON(data []byte) error {
	type plain DocumentReference
	var v struct {
		ResourceType *string `json:"resourceType"`
		plain
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	if err := checkType(v.ResourceType, "DocumentReference"); err != nil {
		return err
	}
	*x = DocumentReference(v.plain)
	return nil
}

// MarshalJSON writes the resource with its resourceType.
func (x *Bundle) MarshalJSON() ([]byte, error) {
	type plain Bundle
	return marshalTyped("Bundle", (*plain)(x))
}

// UnmarshalJSON refuses JSON of another resourceType.
func (x *Bundle) UnmarshalJSON(data []byte) error {
	type plain Bundle
	var v struct {
		ResourceType *string `json:"resourceType"`
		plain
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	if err := checkType(v.ResourceType, "Bundle"); err != nil {
		return err
	}
	*x = Bundle(v.plain)
	return nil
}
