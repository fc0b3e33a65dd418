// The schema the original Django backend creates (database.md §2–§4), as data.
// FROZEN: the baseline migration renders it; the startup check and the tests read it.
// Never edit an existing entry: new tables or indexes go into a new, additive migration.
//
// Types are MySQL types; the SQLite renderer in migrations/ maps them. Column order is the real
// physical order (Django appends columns at the end).

export interface ColumnDef {
  name: string
  type: string // MySQL type, e.g. 'char(32)', 'varchar(254)', 'longtext', 'datetime(6)', 'tinyint(1)'
  nullable: boolean
  autoIncrement?: boolean
  check?: string // MySQL/SQLite CHECK expression on the column
}

export interface IndexDef {
  name: string
  columns: string[]
  unique?: boolean
  /** MySQL 8 functional key part, e.g. '(lower(`name`))'; MariaDB falls back to `columns`. */
  functional?: string
}

export interface ForeignKeyDef {
  name: string
  column: string
  refTable: string
  refColumn: string
  onDelete?: 'CASCADE'
}

export interface TableDef {
  name: string
  columns: ColumnDef[]
  primaryKey: string
  /** PK, UNIQUE and KEY entries in the order MySQL/MariaDB list them (uniques first). */
  indexes: IndexDef[]
  foreignKeys: ForeignKeyDef[]
  /** Used by the API (the startup check refuses to start without it). */
  required: boolean
  /** Columns that exist in the DB but not in the Django model (database.md §5.3): never required. */
  orphanColumns?: string[]
}

const c = (name: string, type: string, nullable = false): ColumnDef => ({ name, type, nullable })
const ai = (name: string, type: string): ColumnDef => ({ name, type, nullable: false, autoIncrement: true })
const ux = (name: string, ...columns: string[]): IndexDef => ({ name, columns, unique: true })
const ix = (name: string, ...columns: string[]): IndexDef => ({ name, columns })
const fk = (name: string, column: string, refTable: string, refColumn = 'id', onDelete?: 'CASCADE'): ForeignKeyDef =>
  ({ name, column, refTable, refColumn, onDelete })

const UP = 'authentication_userprofile'
const base = (): ColumnDef[] => [c('id', 'char(32)'), c('created_at', 'datetime(6)'), c('updated_at', 'datetime(6)', true)]

/** Tables in creation order (every FK target precedes its referrers). */
export const DJANGO_TABLES: TableDef[] = [
  {
    name: 'django_content_type', required: false, primaryKey: 'id',
    columns: [ai('id', 'int'), c('app_label', 'varchar(100)'), c('model', 'varchar(100)')],
    indexes: [ux('django_content_type_app_label_model_76bd3d3b_uniq', 'app_label', 'model')],
    foreignKeys: [],
  },
  {
    name: 'auth_permission', required: false, primaryKey: 'id',
    columns: [ai('id', 'int'), c('name', 'varchar(255)'), c('content_type_id', 'int'), c('codename', 'varchar(100)')],
    indexes: [ux('auth_permission_content_type_id_codename_01ab375a_uniq', 'content_type_id', 'codename')],
    foreignKeys: [fk('auth_permission_content_type_id_2f476e4b_fk_django_co', 'content_type_id', 'django_content_type')],
  },
  {
    name: 'auth_group', required: true, primaryKey: 'id',
    columns: [ai('id', 'int'), c('name', 'varchar(150)')],
    indexes: [ux('name', 'name')],
    foreignKeys: [],
  },
  {
    name: 'auth_group_permissions', required: false, primaryKey: 'id',
    columns: [ai('id', 'bigint'), c('group_id', 'int'), c('permission_id', 'int')],
    indexes: [
      ux('auth_group_permissions_group_id_permission_id_0cd325b0_uniq', 'group_id', 'permission_id'),
      ix('auth_group_permissio_permission_id_84c5c92e_fk_auth_perm', 'permission_id'),
    ],
    foreignKeys: [
      fk('auth_group_permissio_permission_id_84c5c92e_fk_auth_perm', 'permission_id', 'auth_permission'),
      fk('auth_group_permissions_group_id_b120cbf9_fk_auth_group_id', 'group_id', 'auth_group'),
    ],
  },
  {
    name: 'authentication_clients', required: true, primaryKey: 'id',
    columns: [...base(), c('name', 'longtext')],
    indexes: [],
    foreignKeys: [],
  },
  {
    name: UP, required: true, primaryKey: 'id',
    columns: [
      c('password', 'varchar(128)'),
      c('last_login', 'datetime(6)', true),
      c('is_superuser', 'tinyint(1)'),
      c('username', 'varchar(150)'),
      c('first_name', 'varchar(30)'),
      c('last_name', 'varchar(150)'),
      c('is_staff', 'tinyint(1)'),
      c('is_active', 'tinyint(1)'),
      c('date_joined', 'datetime(6)'),
      ...base(),
      c('email', 'varchar(254)'),
      c('role', 'varchar(32)'),
      c('password_reset_token', 'varchar(128)', true),
      c('password_reset_token_expires_at', 'datetime(6)', true),
      c('active', 'tinyint(1)'),
      c('avatar', 'varchar(100)', true),
      c('client_id', 'char(32)', true),
      c('department', 'varchar(80)'),
      c('full_name', 'varchar(120)'),
      c('job_title', 'varchar(80)'),
      c('joined_at', 'date'),
    ],
    indexes: [
      ux('username', 'username'),
      ux('email', 'email'),
      ix('authentication_userp_client_id_0fcb1f2b_fk_authentic', 'client_id'),
    ],
    foreignKeys: [fk('authentication_userp_client_id_0fcb1f2b_fk_authentic', 'client_id', 'authentication_clients')],
  },
  {
    name: 'authentication_userprofile_groups', required: true, primaryKey: 'id',
    columns: [ai('id', 'bigint'), c('userprofile_id', 'char(32)'), c('group_id', 'int')],
    indexes: [
      ux('authentication_userprofi_userprofile_id_group_id_888adc9b_uniq', 'userprofile_id', 'group_id'),
      ix('authentication_userp_group_id_b929d111_fk_auth_grou', 'group_id'),
    ],
    foreignKeys: [
      fk('authentication_userp_group_id_b929d111_fk_auth_grou', 'group_id', 'auth_group'),
      fk('authentication_userp_userprofile_id_01c22330_fk_authentic', 'userprofile_id', UP),
    ],
  },
  {
    name: 'authentication_userprofile_user_permissions', required: true, primaryKey: 'id', // required: user deletes clear it
    columns: [ai('id', 'bigint'), c('userprofile_id', 'char(32)'), c('permission_id', 'int')],
    indexes: [
      ux('authentication_userprofi_userprofile_id_permissio_8399fac0_uniq', 'userprofile_id', 'permission_id'),
      ix('authentication_userp_permission_id_b416f4d8_fk_auth_perm', 'permission_id'),
    ],
    foreignKeys: [
      fk('authentication_userp_permission_id_b416f4d8_fk_auth_perm', 'permission_id', 'auth_permission'),
      fk('authentication_userp_userprofile_id_0ed47435_fk_authentic', 'userprofile_id', UP),
    ],
  },
  {
    name: 'authentication_projects', required: true, primaryKey: 'id',
    columns: [...base(), c('name', 'longtext'), c('client_id', 'char(32)')],
    indexes: [ix('authentication_proje_client_id_677b7b45_fk_authentic', 'client_id')],
    foreignKeys: [fk('authentication_proje_client_id_677b7b45_fk_authentic', 'client_id', 'authentication_clients')],
  },
  {
    name: 'authentication_projects_users', required: true, primaryKey: 'id',
    columns: [ai('id', 'bigint'), c('projects_id', 'char(32)'), c('userprofile_id', 'char(32)')],
    indexes: [
      ux('authentication_projects_users_projects_id_users_id_5c8630ac_uniq', 'projects_id', 'userprofile_id'),
      ix('authentication_proje_userprofile_id_2dfc3111_fk_authentic', 'userprofile_id'),
    ],
    foreignKeys: [
      fk('authentication_proje_projects_id_3d0b87dd_fk_authentic', 'projects_id', 'authentication_projects'),
      fk('authentication_proje_userprofile_id_2dfc3111_fk_authentic', 'userprofile_id', UP),
    ],
  },
  {
    name: 'expertise_areas', required: true, primaryKey: 'id', orphanColumns: ['active'],
    columns: [...base(), c('active', 'tinyint(1)', true), c('name', 'varchar(255)'), c('description', 'longtext', true)],
    indexes: [
      { name: 'uq_expertisearea_name_ci', columns: ['name'], unique: true, functional: '(lower(`name`))' },
      ix('expertise_a_name_a7f12b_idx', 'name'),
    ],
    foreignKeys: [],
  },
  {
    name: 'agents', required: true, primaryKey: 'id', orphanColumns: ['active'],
    columns: [
      ...base(),
      c('name', 'varchar(255)'),
      c('description', 'longtext', true),
      c('avatar', 'varchar(100)', true),
      c('url_n8n', 'varchar(200)'),
      c('active', 'tinyint(1)', true),
      c('expertise_area_id', 'char(32)', true),
    ],
    indexes: [ix('agents_name_6f5710_idx', 'name'), ix('agents_expertise_area_id_idx', 'expertise_area_id')],
    foreignKeys: [fk('agents_expertise_area_id_c640b830_fk_expertise_areas_id', 'expertise_area_id', 'expertise_areas')],
  },
  {
    name: 'authentication_projects_bots', required: true, primaryKey: 'id',
    columns: [ai('id', 'bigint'), c('projects_id', 'char(36)'), c('bots_id', 'char(36)')],
    indexes: [ix('authentication_projects_bots_bots_id_fk_agents', 'bots_id')],
    foreignKeys: [fk('authentication_projects_bots_bots_id_fk_agents', 'bots_id', 'agents', 'id', 'CASCADE')],
  },
  {
    name: 'authentication_projects_agents', required: false, primaryKey: 'id',
    columns: [ai('id', 'bigint'), c('projects_id', 'char(32)'), c('agents_id', 'char(32)')],
    indexes: [
      ux('authentication_projects__projects_id_agents_id_f8783b67_uniq', 'projects_id', 'agents_id'),
      ix('authentication_projects_agents_agents_id_22a46143_fk_agents_id', 'agents_id'),
    ],
    foreignKeys: [
      fk('authentication_proje_projects_id_07a994b3_fk_authentic', 'projects_id', 'authentication_projects'),
      fk('authentication_projects_agents_agents_id_22a46143_fk_agents_id', 'agents_id', 'agents'),
    ],
  },
  {
    name: 'kb_links', required: true, primaryKey: 'id',
    columns: [c('id', 'char(32)'), c('external_id', 'varchar(128)'), c('name', 'varchar(255)'), c('project_id', 'char(32)')],
    indexes: [
      ux('kb_links_project_id_external_id_48de3b2b_uniq', 'project_id', 'external_id'),
      ix('kb_links_external_id_1eaed590', 'external_id'),
    ],
    foreignKeys: [fk('kb_links_project_id_d8e09dd7_fk_authentication_projects_id', 'project_id', 'authentication_projects')],
  },
  {
    name: 'authentication_chatsession', required: true, primaryKey: 'id',
    columns: [...base(), c('session_key', 'longtext'), c('data', 'longtext', true), c('agent_id', 'char(32)'), c('user_id', 'char(32)')],
    indexes: [
      ix('authentication_chatsession_agent_id_3ec12939_fk_agents_id', 'agent_id'),
      ix('authentication_chats_user_id_1e9ea657_fk_authentic', 'user_id'),
    ],
    foreignKeys: [
      fk('authentication_chats_user_id_1e9ea657_fk_authentic', 'user_id', UP),
      fk('authentication_chatsession_agent_id_3ec12939_fk_agents_id', 'agent_id', 'agents'),
    ],
  },
  {
    name: 'authentication_chatfavorite', required: true, primaryKey: 'id',
    columns: [
      ai('id', 'bigint'),
      c('message_id', 'varchar(255)'),
      c('text', 'longtext'),
      c('created_at', 'datetime(6)'),
      c('agent_id', 'char(32)'),
      c('session_id', 'char(32)'),
      c('user_id', 'char(32)'),
    ],
    indexes: [
      ux('authentication_chatfavor_user_id_agent_id_session_0100e364_uniq', 'user_id', 'agent_id', 'session_id', 'message_id'),
      ix('authentication_chatfavorite_agent_id_ef72ba85_fk_agents_id', 'agent_id'),
      ix('authentication_chatf_session_id_38abdfff_fk_authentic', 'session_id'),
    ],
    foreignKeys: [
      fk('authentication_chatf_session_id_38abdfff_fk_authentic', 'session_id', 'authentication_chatsession'),
      fk('authentication_chatf_user_id_3fd89198_fk_authentic', 'user_id', UP),
      fk('authentication_chatfavorite_agent_id_ef72ba85_fk_agents_id', 'agent_id', 'agents'),
    ],
  },
  {
    name: 'authentication_boards', required: true, primaryKey: 'id',
    columns: [...base(), c('config', 'longtext'), c('project_id', 'char(32)'), c('client_id', 'char(32)', true)],
    indexes: [
      ix('authentication_board_project_id_4571efaf_fk_authentic', 'project_id'),
      ix('authentication_board_client_id_2168e4ac_fk_authentic', 'client_id'),
    ],
    foreignKeys: [
      fk('authentication_board_client_id_2168e4ac_fk_authentic', 'client_id', 'authentication_clients'),
      fk('authentication_board_project_id_4571efaf_fk_authentic', 'project_id', 'authentication_projects'),
    ],
  },
  {
    name: 'authentication_invite', required: true, primaryKey: 'id',
    columns: [
      ...base(),
      c('email', 'varchar(255)'),
      c('token', 'char(32)'),
      c('expires_at', 'datetime(6)'),
      c('sender_id', 'char(32)'),
      c('role', 'varchar(32)'),
      c('client_id', 'char(32)'),
      c('project_id', 'char(32)', true),
    ],
    indexes: [
      ux('email', 'email'),
      ux('token', 'token'),
      ix('authentication_invit_sender_id_95716896_fk_authentic', 'sender_id'),
      ix('authentication_invit_client_id_10deac7e_fk_authentic', 'client_id'),
      ix('authentication_invit_project_id_5fd40d8c_fk_authentic', 'project_id'),
    ],
    foreignKeys: [
      fk('authentication_invit_client_id_10deac7e_fk_authentic', 'client_id', 'authentication_clients'),
      fk('authentication_invit_project_id_5fd40d8c_fk_authentic', 'project_id', 'authentication_projects'),
      fk('authentication_invit_sender_id_95716896_fk_authentic', 'sender_id', UP),
    ],
  },
  {
    name: 'authentication_userinvites', required: true, primaryKey: 'id',
    columns: [...base(), c('invitation_link', 'varchar(600)'), c('user_id', 'char(32)')],
    indexes: [ux('user_id', 'user_id')],
    foreignKeys: [fk('authentication_useri_user_id_a6f43131_fk_authentic', 'user_id', UP)],
  },
  {
    name: 'authentication_translation', required: true, primaryKey: 'id',
    columns: [
      ...base(),
      c('source_text', 'varchar(191)'),
      c('target_lang', 'varchar(10)'),
      c('translated_text', 'longtext'),
      c('namespace', 'varchar(64)'),
    ],
    indexes: [
      ux('uniq_source_lang_namespace', 'source_text', 'target_lang', 'namespace'),
      ix('authenticat_target__bf0d4c_idx', 'target_lang', 'namespace'),
      ix('authentication_translation_source_text_8aff9556', 'source_text'),
    ],
    foreignKeys: [],
  },
  {
    name: 'token_blacklist_outstandingtoken', required: true, primaryKey: 'id',
    columns: [
      ai('id', 'bigint'),
      c('token', 'longtext'),
      c('created_at', 'datetime(6)', true),
      c('expires_at', 'datetime(6)'),
      c('user_id', 'char(32)', true),
      c('jti', 'varchar(255)'),
    ],
    indexes: [
      ux('token_blacklist_outstandingtoken_jti_hex_d9bdf6f7_uniq', 'jti'),
      ix('token_blacklist_outs_user_id_83bc629a_fk_authentic', 'user_id'),
    ],
    foreignKeys: [fk('token_blacklist_outs_user_id_83bc629a_fk_authentic', 'user_id', UP)],
  },
  {
    name: 'token_blacklist_blacklistedtoken', required: true, primaryKey: 'id',
    columns: [ai('id', 'bigint'), c('blacklisted_at', 'datetime(6)'), c('token_id', 'bigint')],
    indexes: [ux('token_id', 'token_id')],
    foreignKeys: [fk('token_blacklist_blacklistedtoken_token_id_3cc7fe56_fk', 'token_id', 'token_blacklist_outstandingtoken')],
  },
  {
    name: 'django_admin_log', required: true, primaryKey: 'id',
    columns: [
      ai('id', 'int'),
      c('action_time', 'datetime(6)'),
      c('object_id', 'longtext', true),
      c('object_repr', 'varchar(200)'),
      { name: 'action_flag', type: 'smallint unsigned', nullable: false, check: '`action_flag` >= 0' },
      c('change_message', 'longtext'),
      c('content_type_id', 'int', true),
      c('user_id', 'char(32)'),
    ],
    indexes: [
      ix('django_admin_log_content_type_id_c4bce8eb_fk_django_co', 'content_type_id'),
      ix('django_admin_log_user_id_c564eba6_fk_authentic', 'user_id'),
    ],
    foreignKeys: [
      fk('django_admin_log_content_type_id_c4bce8eb_fk_django_co', 'content_type_id', 'django_content_type'),
      fk('django_admin_log_user_id_c564eba6_fk_authentic', 'user_id', UP),
    ],
  },
  {
    name: 'django_session', required: false, primaryKey: 'session_key',
    columns: [c('session_key', 'varchar(40)'), c('session_data', 'longtext'), c('expire_date', 'datetime(6)')],
    indexes: [ix('django_session_expire_date_a5c62663', 'expire_date')],
    foreignKeys: [],
  },
  {
    name: 'django_migrations', required: false, primaryKey: 'id',
    columns: [ai('id', 'bigint'), c('app', 'varchar(255)'), c('name', 'varchar(255)'), c('applied', 'datetime(6)')],
    indexes: [],
    foreignKeys: [],
  },
]

export const CLIENT_SCOPE_TRIGGERS = ['trg_apu_bi_enforce_client_userprofile', 'trg_apu_bu_enforce_client_userprofile'] as const
export const CLIENT_SCOPE_MESSAGE = 'Cross-client project/user association not allowed (userprofile_id variant)'

/**
 * Django's migration ledger of a fresh install (database.md §5.1): written into django_migrations
 * only when the baseline creates that table itself, so a database made by this service is one the
 * Django backend would also accept (a rollback stays possible).
 */
export const DJANGO_MIGRATION_LEDGER: Array<[string, string]> = [
  ['contenttypes', '0001_initial'], ['contenttypes', '0002_remove_content_type_name'],
  ['auth', '0001_initial'], ['auth', '0002_alter_permission_name_max_length'], ['auth', '0003_alter_user_email_max_length'],
  ['auth', '0004_alter_user_username_opts'], ['auth', '0005_alter_user_last_login_null'], ['auth', '0006_require_contenttypes_0002'],
  ['auth', '0007_alter_validators_add_error_messages'], ['auth', '0008_alter_user_username_max_length'],
  ['auth', '0009_alter_user_last_name_max_length'], ['auth', '0010_alter_group_name_max_length'],
  ['auth', '0011_update_proxy_permissions'], ['auth', '0012_alter_user_first_name_max_length'],
  ['authentication', '0001_create_user_profile'],
  ['admin', '0001_initial'], ['admin', '0002_logentry_remove_auto_add'], ['admin', '0003_logentry_add_action_flag_choices'],
  ['authentication', '0002_update_invite'], ['authentication', '0003_reset_password'], ['authentication', '0004_add_new_tables'],
  ['authentication', '0005_add_client_fk_to_projects'], ['authentication', '0006_fix_updated_at_behavior'],
  ['authentication', '0007_add_project_fk_to_boards'], ['authentication', '0008_add_user_table'], ['authentication', '0009_add_bots'],
  ['authentication', '0010_update_base'], ['authentication', '0011_add_bots_m2m_to_projects'],
  ['authentication', '0012_add_expertise_area'], ['authentication', '0013_expertise_area_to_bots'],
  ['authentication', '0014_add_user_project_m2m'], ['authentication', '0015_alter_boards_active_alter_bots_active_and_more'],
  ['authentication', '0016_fix_user'], ['authentication', '0018_i18n_translation'],
  ['authentication', '0019_alter_translation_source_text'], ['authentication', '0020_sync_models'],
  ['authentication', '0022_refactor_db'], ['authentication', '0023_projectsagentsthrough_alter_projects_agents_and_more'],
  ['authentication', '0024_add_kb'], ['authentication', '0025_fix_agents_expertise_area_column'],
  ['authentication', '0026_add_client_id_boards'], ['authentication', '0022_add_project_to_invite'],
  ['authentication', '0027_add_project_to_invite'], ['authentication', '0028_fix_projects_bots_uuid_len'],
  ['authentication', '0029_fix_projects_bots_fk'], ['authentication', '0030_enforce_client_scope'],
  ['authentication', '0030_add_chat_sessions'], ['authentication', '0031_merge_20251110_1325'],
  ['authentication', '0031_merge_20251110_0942'], ['authentication', '0032_merge_20251111_1537'],
  ['authentication', '0033_add_favorite'], ['authentication', '0034_add_favorite_columns'],
  ['sessions', '0001_initial'],
  ['token_blacklist', '0001_initial'], ['token_blacklist', '0002_outstandingtoken_jti_hex'],
  ['token_blacklist', '0003_auto_20171017_2007'], ['token_blacklist', '0004_auto_20171017_2013'],
  ['token_blacklist', '0005_remove_outstandingtoken_jti'], ['token_blacklist', '0006_auto_20171017_2113'],
  ['token_blacklist', '0007_auto_20171017_2214'], ['token_blacklist', '0008_migrate_to_bigautofield'],
  ['token_blacklist', '0010_fix_migrate_to_bigautofield'], ['token_blacklist', '0011_linearizes_history'],
  ['token_blacklist', '0012_alter_outstandingtoken_user'],
]

export function tableDef(name: string): TableDef {
  const t = DJANGO_TABLES.find((x) => x.name === name)
  if (!t) throw new Error(`unknown table ${name}`)
  return t
}
