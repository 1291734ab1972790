//! Search vocabulary kept by administrators, and what people searched for without finding it.
//!
//! - `search_synonyms`: per region, groups of terms that mean the same thing to a searcher
//!   (营业执照 ↔ 个体工商户设立登记). The group's terms are a JSON array in the order the
//!   administrator wrote them.
//! - `search_synonym_terms`: one row per term of every group, keyed by (region, folded term).
//!   Its primary key is what enforces "a term belongs to at most one group of a region" on both
//!   databases, also when two administrators save at the same moment; a read-then-write check
//!   in application code could not.
//! - `search_misses`: queries that found nothing (text, language, time; no account, no address),
//!   read back aggregated by region over a recent period, hence the (region, time) index.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SearchSynonyms {
    Table,
    Id,
    RegionId,
    Terms,
    CreatedAt,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum SearchSynonymTerms {
    Table,
    RegionId,
    TermKey,
    SynonymId,
}

#[derive(DeriveIden)]
enum SearchMisses {
    Table,
    Id,
    RegionId,
    Query,
    Locale,
    OccurredAt,
}

#[derive(DeriveIden)]
enum Regions {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SearchSynonyms::Table)
                    .col(uuid(SearchSynonyms::Id).primary_key())
                    .col(uuid(SearchSynonyms::RegionId))
                    .col(json(SearchSynonyms::Terms))
                    .col(timestamp_with_time_zone(SearchSynonyms::CreatedAt))
                    .col(timestamp_with_time_zone(SearchSynonyms::UpdatedAt))
                    // No foreign key: a group outlives the account that last edited it, and
                    // seeded groups have no editor.
                    .col(uuid_null(SearchSynonyms::UpdatedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_search_synonyms_region")
                            .from(SearchSynonyms::Table, SearchSynonyms::RegionId)
                            .to(Regions::Table, Regions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_search_synonyms_region")
                    .table(SearchSynonyms::Table)
                    .col(SearchSynonyms::RegionId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SearchSynonymTerms::Table)
                    .col(uuid(SearchSynonymTerms::RegionId))
                    // 40 characters of up to 4 bytes each.
                    .col(string_len(SearchSynonymTerms::TermKey, 160))
                    .col(uuid(SearchSynonymTerms::SynonymId))
                    .primary_key(
                        Index::create()
                            .col(SearchSynonymTerms::RegionId)
                            .col(SearchSynonymTerms::TermKey),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_search_synonym_terms_group")
                            .from(SearchSynonymTerms::Table, SearchSynonymTerms::SynonymId)
                            .to(SearchSynonyms::Table, SearchSynonyms::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_search_synonym_terms_group")
                    .table(SearchSynonymTerms::Table)
                    .col(SearchSynonymTerms::SynonymId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SearchMisses::Table)
                    .col(uuid(SearchMisses::Id).primary_key())
                    .col(uuid(SearchMisses::RegionId))
                    .col(string_len(SearchMisses::Query, 100))
                    .col(string_len(SearchMisses::Locale, 16))
                    .col(timestamp_with_time_zone(SearchMisses::OccurredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_search_misses_region")
                            .from(SearchMisses::Table, SearchMisses::RegionId)
                            .to(Regions::Table, Regions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_search_misses_region_time")
                    .table(SearchMisses::Table)
                    .col(SearchMisses::RegionId)
                    .col(SearchMisses::OccurredAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SearchMisses::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SearchSynonymTerms::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SearchSynonyms::Table).to_owned())
            .await?;
        Ok(())
    }
}
