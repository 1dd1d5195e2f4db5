/* placeholder: replaced by the module owner */
typedef int df_placeholder_t;
