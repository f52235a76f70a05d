-- owner: registry
-- Renaming a registered model (MLflow's registered-models/rename): the model's name is the key of
-- its versions, and theirs of tags, aliases and the transition history, so the references follow
-- an update of the name in one statement.
ALTER TABLE registry_model_tags DROP CONSTRAINT registry_model_tags_model_name_fkey,
    ADD CONSTRAINT registry_model_tags_model_name_fkey FOREIGN KEY (model_name)
        REFERENCES registry_models (name) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE registry_model_versions DROP CONSTRAINT registry_model_versions_model_name_fkey,
    ADD CONSTRAINT registry_model_versions_model_name_fkey FOREIGN KEY (model_name)
        REFERENCES registry_models (name) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE registry_model_version_tags DROP CONSTRAINT registry_model_version_tags_model_name_version_fkey,
    ADD CONSTRAINT registry_model_version_tags_model_name_version_fkey FOREIGN KEY (model_name, version)
        REFERENCES registry_model_versions (model_name, version) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE registry_model_aliases DROP CONSTRAINT registry_model_aliases_model_name_version_fkey,
    ADD CONSTRAINT registry_model_aliases_model_name_version_fkey FOREIGN KEY (model_name, version)
        REFERENCES registry_model_versions (model_name, version) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE registry_model_transitions DROP CONSTRAINT registry_model_transitions_model_name_version_fkey,
    ADD CONSTRAINT registry_model_transitions_model_name_version_fkey FOREIGN KEY (model_name, version)
        REFERENCES registry_model_versions (model_name, version) ON DELETE CASCADE ON UPDATE CASCADE;
