//! `tongban oidc …`: registering department systems (OpenID Connect clients) and rotating the
//! ID-token signing key from the server's console. Secrets are printed once; the database keeps
//! only their keyed hash. Every change is audited (actor: the console).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use tongban_domain::clock::SystemClock;
use tongban_services::crypto::AesGcmKeyring;
use tongban_services::identity::Origin;
use tongban_services::oidc::{Admin, ClientAdminError, NewClient, Oidc, OidcSettings};

use crate::serve::DatabaseArgs;
use crate::settings::Settings;

#[derive(clap::Subcommand)]
pub enum OidcCommand {
    /// Department systems that sign people in with Tongban.
    Client {
        #[command(subcommand)]
        what: ClientCommand,
    },
    /// ID-token signing keys.
    Keys {
        #[command(subcommand)]
        what: KeysCommand,
    },
}

#[derive(clap::Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints its client_id and (confidential clients) its secret, once.
    Add(AddArgs),
    /// List the registered clients of the region.
    List(DatabaseArgs),
}

#[derive(clap::Subcommand)]
pub enum KeysCommand {
    /// Sign with a new key from now on; the previous key stays in the JWKS for 7 days.
    Rotate(DatabaseArgs),
}

#[derive(clap::Args)]
pub struct AddArgs {
    /// The system's name as people see it on the consent page.
    #[arg(long)]
    name: String,
    /// An exact redirect URI (repeat for several).
    #[arg(long = "redirect-uri", required = true)]
    redirect_uris: Vec<String>,
    /// Where the system may send people after sign-out (repeatable).
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// A scope the client may ask for (repeatable; default openid and profile).
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// The pairwise-subject sector (default: the host of the first redirect URI).
    #[arg(long)]
    sector: Option<String>,
    /// A public client (runs on people's devices): no secret, PKCE with S256 required.
    #[arg(long)]
    public: bool,
    /// Specially approved to receive resident ID numbers (the id_number scope).
    #[arg(long)]
    allow_id_number: bool,
    /// The code of the department that runs the system (e.g. SJ).
    #[arg(long)]
    department: Option<String>,
    /// The client_id to use (default: one is made).
    #[arg(long)]
    client_id: Option<String>,
    #[command(flatten)]
    db: DatabaseArgs,
}

/// The provider over the configured database with the configured keys.
pub(crate) async fn provider(settings: &Settings) -> anyhow::Result<(Oidc, String)> {
    let db = crate::serve::open(settings).await?;
    let keys = crate::secrets::load(settings)?;
    let region = if settings.server.region.is_empty() {
        tongban_services::catalog::default_region(&db)
            .await?
            .context("no region is loaded yet: import one (or run `tongban seed demo`) first")?
    } else {
        settings.server.region.clone()
    };
    let oidc = Oidc::new(
        db,
        Arc::new(AesGcmKeyring::new(keys.data, &[])),
        &keys.secret,
        OidcSettings::new(&settings.server.public_url),
    );
    Ok((oidc, region))
}

fn explain(error: ClientAdminError) -> anyhow::Error {
    match error {
        ClientAdminError::Invalid(problems) => anyhow::anyhow!(
            "the client was not registered:\n  - {}",
            problems
                .iter()
                .map(|p| match p {
                    tongban_services::oidc::ClientProblem::NameMissing => "--name is empty",
                    tongban_services::oidc::ClientProblem::NameTooLong => "--name is longer than 200 characters",
                    tongban_services::oidc::ClientProblem::ClientIdInvalid => "--client-id must be 3-64 of a-z 0-9 . -",
                    tongban_services::oidc::ClientProblem::ClientIdTaken => "this client_id is already registered",
                    tongban_services::oidc::ClientProblem::RedirectMissing => "give at least one --redirect-uri",
                    tongban_services::oidc::ClientProblem::RedirectInvalid => "every --redirect-uri must be absolute https (http only on 127.0.0.1/localhost), without #",
                    tongban_services::oidc::ClientProblem::PostLogoutInvalid => "every --post-logout-redirect-uri must be absolute https (http only on 127.0.0.1/localhost), without #",
                    tongban_services::oidc::ClientProblem::ScopeInvalid => "a --scope may contain a-z 0-9 _ : . - only",
                    tongban_services::oidc::ClientProblem::SectorInvalid => "--sector must be a host name or text without spaces",
                    tongban_services::oidc::ClientProblem::DepartmentUnknown => "--department is not a department code of the region",
                })
                .collect::<Vec<_>>()
                .join("\n  - ")
        ),
        other => other.into(),
    }
}

pub fn run(config: Option<&Path>, command: OidcCommand) -> anyhow::Result<()> {
    let db_args = match &command {
        OidcCommand::Client {
            what: ClientCommand::Add(args),
        } => &args.db,
        OidcCommand::Client {
            what: ClientCommand::List(db),
        }
        | OidcCommand::Keys {
            what: KeysCommand::Rotate(db),
        } => db,
    };
    let settings = crate::serve::settings_with(config, db_args)?;
    let _guard = crate::logging::init(&settings.log);
    crate::serve::runtime()?.block_on(async {
        let (oidc, region) = provider(&settings).await?;
        let origin = Origin::default();
        match command {
            OidcCommand::Client {
                what: ClientCommand::Add(args),
            } => {
                let new = NewClient {
                    client_id: args.client_id.unwrap_or_default(),
                    name: args.name,
                    redirect_uris: args.redirect_uris,
                    post_logout_redirect_uris: args.post_logout_redirect_uris,
                    scopes: args.scopes,
                    sector: args.sector.unwrap_or_default(),
                    public: args.public,
                    allow_id_number: args.allow_id_number,
                    department_code: args.department.unwrap_or_default(),
                };
                let issued = oidc
                    .register_client(&SystemClock, Admin::Console, &region, &new, &origin)
                    .await
                    .map_err(explain)?;
                println!("client_id:     {}", issued.client_id);
                match issued.secret {
                    Some(secret) => {
                        println!("client_secret: {secret}");
                        println!(
                            "The secret is shown only now; the platform keeps only its keyed hash."
                        );
                    }
                    None => println!("public client: no secret; PKCE with S256 is required"),
                }
                println!("issuer:        {}", oidc.settings.issuer);
            }
            OidcCommand::Client {
                what: ClientCommand::List(_),
            } => {
                let clients = oidc
                    .list_clients(Admin::Console, &region)
                    .await
                    .map_err(explain)?;
                if clients.is_empty() {
                    println!("no clients registered in region {region}");
                }
                for c in clients {
                    println!(
                        "{}\t{}\t{}\t{}\tscopes: {}\tsector: {}{}\n\tredirect: {}{}",
                        c.client_id,
                        if c.active { "active" } else { "disabled" },
                        if c.public { "public" } else { "confidential" },
                        c.name,
                        c.scopes.join(" "),
                        c.sector,
                        if c.allow_id_number {
                            "\tid_number approved"
                        } else {
                            ""
                        },
                        c.redirect_uris.join(" "),
                        if c.post_logout_redirect_uris.is_empty() {
                            String::new()
                        } else {
                            format!(
                                "\n\tafter sign-out: {}",
                                c.post_logout_redirect_uris.join(" ")
                            )
                        }
                    );
                }
            }
            OidcCommand::Keys {
                what: KeysCommand::Rotate(_),
            } => {
                let kid = oidc
                    .rotate_keys(&SystemClock, Admin::Console, &origin)
                    .await
                    .map_err(explain)?;
                println!(
                    "now signing with key {kid}; the previous key stays in the JWKS for {} days",
                    oidc.settings.key_grace.num_days()
                );
            }
        }
        Ok(())
    })
}
